"""What `bench/load.py` drives against the app, all at once: sales reps reading their inbox,
managers reading a report, visitors sending a campaign's public form, and one bot flooding that
form from a single address (its refusals are the rate limit working, counted apart). Figures
count for LOAD_SECONDS from LOAD_WARMUP seconds after everyone has signed in.

The load generator stands where the TLS proxy would in production: every request says it came
over HTTPS (`X-Forwarded-Proto`) from its user's own address (`X-Forwarded-For`), and the
session's secure cookies are sent back over the plain-HTTP hop to gunicorn.

Settings come from the environment: LOAD_CAMPAIGN (the form's campaign slug), LOAD_REPORT (the
report's path), LOAD_REPS (comma-separated usernames), LOAD_MANAGER, LOAD_PASSWORD.
"""

import itertools
import os
import re
import uuid
from pathlib import Path

import gevent
from locust import HttpUser, between, constant_throughput, events, task
from requests.cookies import RequestsCookieJar

CAMPAIGN = os.environ.get("LOAD_CAMPAIGN", "")
REPORT = os.environ.get("LOAD_REPORT", "/reports/funnel/")
REPS = itertools.cycle(os.environ.get("LOAD_REPS", "sam,riley,alex,jordan").split(","))
MANAGER = os.environ.get("LOAD_MANAGER", "morgan")
PASSWORD = os.environ.get("LOAD_PASSWORD", "handoff-demo")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ADDRESSES = (f"198.51.{n // 250}.{n % 250 + 1}" for n in itertools.count())
RATE_LIMITED = "form send: rate-limited (429)"
WARMUP = float(os.environ.get("LOAD_WARMUP", "0"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "0"))
MARK = os.environ.get("LOAD_MARK", "")
SIGNED_IN = itertools.count(1)
signed_in = 0


@events.test_start.add_listener
def measure_once_everyone_is_in(environment, **kwargs):
    """The figures count from WARMUP seconds after the last person signed in (each sign-in is
    a deliberately slow password hash, and a hundred of them would fill the first seconds),
    for SECONDS; then the run stops. MARK (a file) tells bench/load.py when counting began."""
    if SECONDS:
        gevent.spawn(_measure, environment)


def _measure(environment):
    runner = environment.runner
    while True:
        counts = runner.user_classes_count
        people = counts.get("Rep", 0) + counts.get("Manager", 0)
        if runner.user_count >= environment.parsed_options.num_users and signed_in >= people:
            break
        gevent.sleep(0.2)
    gevent.sleep(WARMUP)
    environment.stats.reset_all()
    if MARK:
        Path(MARK).touch()
    gevent.sleep(SECONDS)
    runner.quit()


class ProxyHopCookieJar(RequestsCookieJar):
    """Keeps `Secure` cookies for http://127.0.0.1, as the TLS proxy passes the browser's on."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class Person(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.cookies = ProxyHopCookieJar()
        self.client.headers.update(
            {
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": next(ADDRESSES),
                # A secure POST passes CSRF only from the site's own origin.
                "Origin": self.host.replace("http://", "https://"),
            }
        )

    def token(self, response) -> str:
        found = TOKEN.search(response.text)
        return found.group(1) if found else ""

    def log_in(self, username: str) -> None:
        page = self.client.get("/login/", name="log in")
        data = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.token(page)}
        with self.client.post(
            "/login/", data, name="log in", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"{username} was not signed in ({response.status_code})")
        global signed_in
        signed_in = next(SIGNED_IN)


class Rep(Person):
    weight = 3

    def on_start(self):
        super().on_start()
        self.log_in(next(REPS))

    @task
    def inbox(self):
        self.client.get("/inbox/", name="inbox")


class Manager(Person):
    weight = 1

    def on_start(self):
        super().on_start()
        self.log_in(MANAGER)

    @task
    def report(self):
        self.client.get(REPORT, name="report")


class FormSender(Person):
    abstract = True

    def post_form(self, token: str):
        data = {
            "csrfmiddlewaretoken": token,
            "first_name": "Load",
            "last_name": "Visitor",
            "email": f"{uuid.uuid4().hex[:16]}@load.example",
            "company": "Load Testing Ltd",
            "job_title": "Head of Testing",
            "company_size": "51-200",
            "consent": "on",
            "website": "",
        }
        with self.client.post(
            f"/go/{CAMPAIGN}/", data, name="form send", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 429:  # the limit doing its job: counted apart
                response.request_meta["name"] = RATE_LIMITED
                response.success()
            elif response.status_code != 302:
                title = re.search(r"<title>(.*?)</title>", response.text or "")
                response.failure(f"form answered {response.status_code}: {title and title[1]}")


class Visitor(FormSender):
    """People arriving at the landing page one after another, each from an address of their
    own and with a fresh browser, and sending the form."""

    weight = 2

    @task
    def send_form(self):
        self.client.cookies.clear()
        self.client.headers["X-Forwarded-For"] = next(ADDRESSES)
        page = self.client.get(f"/go/{CAMPAIGN}/", name="form page")
        self.post_form(self.token(page))


class Flooder(FormSender):
    """A bot posting the form from one address five times a second."""

    fixed_count = 1
    wait_time = constant_throughput(5)

    def on_start(self):
        super().on_start()
        self.form_token = self.token(self.client.get(f"/go/{CAMPAIGN}/", name="form page"))

    @task
    def send_form(self):
        self.post_form(self.form_token)
