"""Write a CSV of N made-up deals in the shape of a public sales-pipeline export (foreign stage
names, engage and close dates, owners by full name), for opportunity-import benchmarks.

python bench/make_deals_csv.py 10000 > /tmp/deals.csv
python manage.py import_opportunities /tmp/deals.csv --create-users \\
    --stage-map Prospecting=discovery --stage-map Engaging=demo
"""

import csv
import datetime as dt
import random
import sys

AGENTS = [
    f"{first} {last}"
    for first in ("Anna", "Boris", "Cara", "Dev", "Elif", "Femi")
    for last in ("Snelling", "Ojeda", "Park", "Novak", "Reyes")
]
PRODUCTS = ["GTX Basic", "GTX Pro", "MG Special", "MG Advanced", "GTX Plus Basic", "GTK 500"]
STAGES = ["Won"] * 5 + ["Lost"] * 3 + ["Engaging", "Prospecting"]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = random.Random(11)
    today = dt.date.today()
    out = csv.writer(sys.stdout)
    out.writerow(
        [
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ]
    )
    for i in range(count):
        stage = rng.choice(STAGES)
        engaged = today - dt.timedelta(days=rng.randint(30, 700))
        if stage in ("Won", "Lost"):
            close = min(today, engaged + dt.timedelta(days=rng.randint(5, 120)))
        else:
            close = today + dt.timedelta(days=rng.randint(5, 120))
        value = "" if stage == "Lost" and rng.random() < 0.5 else f"{rng.randint(50, 30000):,}"
        out.writerow(
            [
                f"OPP{i:07d}",
                rng.choice(AGENTS),
                rng.choice(PRODUCTS),
                f"Account {i % 850}",
                stage,
                engaged.isoformat() if rng.random() > 0.05 else "",
                close.strftime("%d/%m/%Y"),
                value,
            ]
        )


if __name__ == "__main__":
    main()
