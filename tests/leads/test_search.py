"""Lead search (leads/search.py): the same answers on SQLite (FTS5) and PostgreSQL (pg_trgm)."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from leads import search
from leads.models import Lead, LeadTransition
from tests.factories import LeadFactory, move

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "ada": LeadFactory(
            first_name="Ada", last_name="Lovelace", email="ada@engines.example", company="Engines"
        ),
        "grace": LeadFactory(
            first_name="Grace", last_name="Hopper", email="g.hopper@navy.example", company="US Navy"
        ),
        "alan": LeadFactory(
            first_name="Alan",
            last_name="Turing",
            email="alan.turing@bletchley.example",
            company="Bletchley Park",
        ),
        "joan": LeadFactory(
            first_name="Joan", last_name="Clarke", email="joan@bletchley.example", company=""
        ),
        "renee": LeadFactory(
            first_name="Renée", last_name="O'Brien", email="renee@café.example", company="Café 50%"
        ),
    }


def found(text, queryset=None):
    queryset = Lead.objects.all() if queryset is None else queryset
    return sorted(lead.first_name for lead in search.matching(queryset, text))


def test_every_word_must_appear_in_the_name_e_mail_or_company(people):
    assert found("bletchley") == ["Alan", "Joan"]
    assert found("bletchley turing") == ["Alan"]
    assert found("BLETCH park") == ["Alan"]
    assert found("hop") == ["Grace"]  # the middle of "g.hopper" and of "Hopper"
    assert found("love engines") == ["Ada"]
    assert found("alan.turing@") == ["Alan"]
    assert found("navy turing") == []
    assert found("nobody") == []


def test_short_words_narrow_what_the_long_ones_found_or_search_alone(people):
    assert found("bletchley jo") == ["Joan"]
    assert found("al") == ["Alan"]
    # Every lead with both letters somewhere: Bletchley twice, and Renée O'Brien of Café 50%.
    assert found("a b") == ["Alan", "Joan", "Renée"]
    assert found("   ") == sorted(lead.first_name for lead in Lead.objects.all())


def test_quotes_wildcards_and_accents_are_plain_characters(people):
    assert found("o'brien") == ["Renée"]
    assert found('"brien') == []
    assert found("50%") == ["Renée"]
    assert found("%") == ["Renée"]
    assert found("_") == []
    assert found("café") == ["Renée"]


def test_the_index_follows_edits_and_deletes(people):
    ada = people["ada"]
    ada.last_name, ada.company = "Byron", "Analytical"
    ada.save()
    assert found("lovelace") == []
    assert found("byron analytical") == ["Ada"]
    Lead.objects.filter(pk=people["grace"].pk).update(email="grace@harvard.example")
    assert found("harvard") == ["Grace"]
    assert found("navy") == ["Grace"]  # the company is still US Navy
    people["alan"].delete()
    assert found("turing") == []


def test_searching_a_lead_s_rows_through_the_lead(people, rep):
    for lead in (people["alan"], people["joan"]):
        move(lead, "new", "mql", timezone.now(), by=rep)
    moves = LeadTransition.objects.all()
    assert sorted(
        t.lead.first_name for t in search.matching(moves, "bletchley", lead="lead__")
    ) == [
        "Alan",
        "Joan",
    ]


def test_the_lead_list_search_lists_matches_newest_first(client, manager, people):
    client.force_login(manager)
    response = client.get(reverse("leads:lead-list"), {"q": "bletchley"})
    assert [lead.first_name for lead in response.context["lead_list"]] == ["Joan", "Alan"]
    sorted_by_name = client.get(reverse("leads:lead-list"), {"q": "bletchley", "ordering": "name"})
    assert [lead.last_name for lead in sorted_by_name.context["lead_list"]] == ["Clarke", "Turing"]


def test_every_letter_is_folded_not_only_ascii_ones(people):
    LeadFactory(first_name="Émile", last_name="Zola", email="ez@paris.example", company="")
    assert found("CAFÉ") == ["Renée"]
    assert found("RENÉE") == ["Renée"]
    assert found("émile") == ["Émile"]
    assert found("ÉMILE zola") == ["Émile"]


def test_a_word_must_appear_whole_not_only_its_trigrams(people):
    # Every trigram of "abcde" is somewhere in this lead, but the word itself is not.
    LeadFactory(first_name="Abcd", last_name="Xbcde", email="x@y.example", company="")
    LeadFactory(first_name="Abcde", last_name="Whole", email="w@y.example", company="")
    assert found("abcde") == ["Abcde"]
    assert found("bcde") == ["Abcd", "Abcde"]  # "xbcde" holds it too
    assert found("cdx") == []


def test_the_sqlite_index_keeps_rows_not_positions():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's index is pg_trgm's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'leads_lead_search'")
        (definition,) = cursor.fetchone()
        cursor.execute("SELECT k, v FROM leads_lead_search_config")
        config = dict(cursor.fetchall())
    assert "detail=none" in definition
    assert "columnsize=0" in definition
    assert config["automerge"] == 16
