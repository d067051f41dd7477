"""Write a CSV of N made-up leads in the shape of a real CRM export, for import benchmarks.

python bench/make_leads_csv.py 100000 > /tmp/leads.csv
"""

import csv
import random
import sys

TITLES = ["Head of Marketing", "VP Sales", "CTO", "Marketing Manager", "Engineer", "Founder"]
SOURCES = ["Webinar", "LinkedIn Ads", "Google", "Referral", "Trade show", "Newsletter"]
COUNTRIES = ["United Kingdom", "Germany", "France", "United States", "Ireland"]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(7)
    out = csv.writer(sys.stdout)
    out.writerow(
        [
            "Lead ID",
            "First Name",
            "Last Name",
            "Email",
            "Company",
            "Title",
            "Employees",
            "Country",
            "Lead Source",
            "Created Date",
            "Phone",
        ]
    )
    for i in range(count):
        out.writerow(
            [
                f"X-{i:07d}",
                f"First{i}",
                f"Last{i % 977}",
                f"person{i}@company{i % 5000}.example",
                f"Company {i % 5000}",
                rng.choice(TITLES),
                rng.choice(["5", "40", "180", "900", "7000"]),
                rng.choice(COUNTRIES),
                rng.choice(SOURCES),
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 10):02d}/2026 {rng.randint(0, 23)}:15",
                f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
            ]
        )


if __name__ == "__main__":
    main()
