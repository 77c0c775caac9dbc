"""The file store's seeded documents: small realistic files of every kind the loaders parse.

Contents and modification times are fixed, so sizes and etags are the same on every run (PDFs
carry a fixed creation date). ``data/large.bin`` is generated from a seed at the requested size.
"""

from __future__ import annotations

import json
import os
import random
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

LARGE_FILE = "data/large.bin"
DEFAULT_LARGE_FILE_SIZE = 64 * 1024 * 1024
FIXED_MTIME = datetime(2025, 6, 30, 12, 0, tzinfo=UTC).timestamp()
TICKET_COUNT = 12

MSA = """# Master Services Agreement — Acme Corp

**Effective date:** 2024-02-01
**Parties:** Acme Analytics, Inc. ("Provider") and Acme Corp ("Customer")

## 1. Services
Provider will deliver the analytics platform described in each Order Form, including hosting,
upgrades and the support plan the Customer selects.

## 2. Fees and payment
- Fees are invoiced monthly in advance, in US dollars.
- Invoices are due **net 30** from the invoice date.
- Late amounts accrue interest at 1.5% per month, or the maximum allowed by law if lower.
- If an invoice is more than 60 days overdue, Provider may suspend the services after 10 days'
  written notice.

## 3. Term and termination
The agreement runs for 24 months and renews for 12-month periods unless either party gives 60
days' notice. Either party may terminate for a material breach not cured within 30 days.

## 4. Confidentiality
Each party keeps the other's confidential information secret and uses it only to perform this
agreement, for the term and five years after.

## 5. Limitation of liability
Neither party's total liability exceeds the fees paid in the 12 months before the claim.
"""

SLA_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Initech Service Level Agreement</title>
  <style>body { font-family: sans-serif; } .hidden { display: none; }</style>
  <script>window.analytics = { track: function () { return "tracking-pixel"; } };</script>
</head>
<body>
  <h1>Service Level Agreement — Initech</h1>
  <p>This SLA applies to the Enterprise plan purchased by Initech under order IT-2024-118.</p>
  <h2>Availability</h2>
  <p>Provider targets <strong>99.9% monthly uptime</strong>, measured at the API edge.</p>
  <table>
    <tr><th>Monthly uptime</th><th>Service credit</th></tr>
    <tr><td>99.0% – 99.9%</td><td>10% of the monthly fee</td></tr>
    <tr><td>95.0% – 99.0%</td><td>25% of the monthly fee</td></tr>
    <tr><td>below 95.0%</td><td>50% of the monthly fee</td></tr>
  </table>
  <h2>Support response times</h2>
  <ul>
    <li>Severity 1 (outage): 1 hour, around the clock</li>
    <li>Severity 2 (degraded): 4 business hours</li>
    <li>Severity 3 (question): 2 business days</li>
  </ul>
  <script>console.log("this script must not appear in extracted text");</script>
</body>
</html>
"""

ORDER_FORM_PAGES = (
    (
        "Order Form GX-2025-007 - Globex",
        "Customer: Globex Corporation, 1 Cypress Creek Parkway.\n"
        "Provider: Acme Analytics, Inc.\n"
        "Order date: 2025-03-17. Subscription term: 12 months from 2025-04-01.",
    ),
    (
        "Pricing",
        "Growth plan, 25 seats: $199.00 per month.\n"
        "Onboarding package (one time): $1,500.00.\n"
        "Premium support: $299.00 per month.\n"
        "Total first-year value: $7,476.00. Payment terms: net 30.",
    ),
    (
        "Signatures",
        "Signed for Globex Corporation by Hank Scorpio, CEO, on 2025-03-18.\n"
        "Signed for Acme Analytics, Inc. by Dana Whitaker, VP Sales, on 2025-03-19.",
    ),
)

MEETING_NOTES = """Customer success sync — 2025-06-12
Attendees: Dana (sales), Priya (CSM), Marco (finance)

- Initech's invoice is 12 days past due; Priya will call their AP team on Monday.
- Stark Logistics asked to split their onboarding invoice into three payments. Approved.
- Cyberdyne has not paid since January; finance recommends pausing their API access.
- Next review: 2025-06-26.
"""

LATIN1_NOTES = (
    "Notes de réunion - Société Générale d'Études, Zürich\n"
    "Le client a demandé un devis révisé: 1 200 CHF par mois, facturé à 30 jours.\n"
    "Prochaine étape: envoyer le contrat à Mme Müller avant vendredi.\n"
)

UTF16_NOTES = (
    "多言語メモ / Multilingual memo\n"
    "Customer: Nakatomi Trading (東京)\n"
    "Renewal due 2025-09-01; champion: 佐藤さん. Budget approved: ¥1,800,000.\n"
)

ROOT_README = """# Customer document share

Folders: `contracts/` (signed agreements), `reports/` (finance exports), `notes/` (meeting notes),
`tickets/` (support tickets), `images/`, `data/` (raw exports), `misc/`.
"""

TICKET_TOPICS = (
    ("Login fails with SSO", "Users on the Okta tenant see 'invalid audience' after the update."),
    ("Invoice shows wrong VAT", "The EU invoice applied 19% instead of 21%."),
    ("Export stuck at 99%", "The nightly warehouse export has not finished since Tuesday."),
    ("Add 10 seats", "Please add ten seats to the Growth plan from next month."),
    ("API rate limit reached", "We hit 429 responses during our month-end batch."),
    ("Dashboard is slow", "The revenue dashboard takes 40 seconds to load."),
    ("Cancel premium support", "We would like to downgrade at the end of the term."),
    ("Webhook retries", "Webhooks were retried 5 times though we answered 200."),
    ("Password reset email missing", "Reset emails do not arrive for @globex.example.com."),
    ("Data residency question", "Can our data stay in the EU region?"),
    ("Duplicate charge", "Our card was charged twice for invoice 0042."),
    ("Feature request: CSV import", "Allow importing customers from a CSV file."),
)


def _csv() -> str:
    rows = ["month,region,new_customers,revenue_usd,churned_customers"]
    data = [
        ("2025-07", "na", 14, 182_300.50, 2), ("2025-07", "emea", 9, 121_940.00, 1),
        ("2025-07", "apac", 4, 48_210.75, 0), ("2025-08", "na", 11, 190_125.00, 3),
        ("2025-08", "emea", 12, 130_400.25, 2), ("2025-08", "apac", 6, 55_980.00, 1),
        ("2025-09", "na", 16, 201_775.80, 1), ("2025-09", "emea", 10, 138_060.00, 0),
        ("2025-09", "apac", 5, 61_345.10, 2),
    ]  # fmt: skip
    rows += [f"{m},{r},{n},{rev:.2f},{c}" for m, r, n, rev, c in data]
    return "\n".join(rows) + "\n"


def _customers_json() -> str:
    customers = [
        {"name": "Acme Corp", "segment": "enterprise", "owner": "dana", "health": "at risk"},
        {"name": "Globex", "segment": "mid-market", "owner": "priya", "health": "good"},
        {"name": "Initech", "segment": "enterprise", "owner": "priya", "health": "at risk"},
        {"name": "Stark Logistics", "segment": "mid-market", "owner": "marco", "health": "good"},
        {"name": "Cyberdyne Robotics", "segment": "smb", "owner": "dana", "health": "churn risk"},
    ]
    return json.dumps({"generated_at": "2025-06-30T12:00:00Z", "customers": customers}, indent=2)


def _events_jsonl() -> str:
    events = [
        {"ts": "2025-06-30T08:00:00Z", "type": "login", "user": "u_102", "account": "Globex"},
        {"ts": "2025-06-30T08:05:12Z", "type": "export_started", "user": "u_102", "rows": 18233},
        {"ts": "2025-06-30T08:09:40Z", "type": "export_finished", "user": "u_102", "rows": 18233},
        {
            "ts": "2025-06-30T09:14:03Z",
            "type": "invoice_viewed",
            "user": "u_311",
            "account": "Initech",
        },
        {
            "ts": "2025-06-30T10:30:00Z",
            "type": "seat_added",
            "user": "u_007",
            "account": "Acme Corp",
        },
    ]
    return "".join(json.dumps(e) + "\n" for e in events)


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2025, 3, 19, 9, 0, tzinfo=UTC))
    pdf.set_title("Globex order form")
    pdf.set_author("Acme Analytics, Inc.")
    for title, body in ORDER_FORM_PAGES:
        pdf.add_page()
        pdf.set_font("helvetica", "B", 16)
        pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 7, body)
    return bytes(pdf.output())


def _broken_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Ty"


def _png() -> bytes:
    """A real 16x16 PNG (an orange square), built by hand so no image library is needed."""
    width = height = 16
    raw = b"".join(b"\x00" + b"\xf0\x80\x20" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))  # fmt: skip


def seed_documents() -> dict[str, bytes]:
    """Every seeded file but the large binary: key -> bytes."""
    files: dict[str, bytes] = {
        "README.md": ROOT_README.encode(),
        "contracts/acme-master-services-agreement.md": MSA.encode(),
        "contracts/globex-order-form.pdf": _pdf(),
        "contracts/initech-sla.html": SLA_HTML.encode(),
        "reports/q3-revenue.csv": _csv().encode(),
        "reports/customers.json": _customers_json().encode(),
        "reports/events.jsonl": _events_jsonl().encode(),
        "notes/2025-06-12-customer-success-sync.txt": MEETING_NOTES.encode(),
        "notes/legacy-latin1.txt": LATIN1_NOTES.encode("latin-1"),
        "notes/multilingual-utf16.txt": UTF16_NOTES.encode("utf-16"),
        "notes/empty.txt": b"",
        "misc/broken.pdf": _broken_pdf(),
        "images/logo.png": _png(),
    }
    for number, (subject, body) in enumerate(TICKET_TOPICS, start=1):
        text = f"Ticket #{number:04d}\nSubject: {subject}\nStatus: open\n\n{body}\n"
        files[f"tickets/ticket-{number:04d}.txt"] = text.encode()
    return files


def write_large_file(path: Path, size: int, seed: int) -> None:
    """Write ``size`` seeded pseudo-random bytes (fast: 1 MiB blocks of ``randbytes``)."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secret
    path.parent.mkdir(parents=True, exist_ok=True)
    block = 1024 * 1024
    with path.open("wb") as handle:
        remaining = size
        while remaining > 0:
            n = min(block, remaining)
            handle.write(rng.randbytes(n))
            remaining -= n
    os.utime(path, (FIXED_MTIME, FIXED_MTIME))


def write_seed_files(
    root: Path, *, large_file_size: int = DEFAULT_LARGE_FILE_SIZE, seed: int = 42
) -> None:
    """Write the seeded documents and the large binary into ``root``, with fixed mtimes."""
    if large_file_size < 0:
        raise ValueError("large_file_size must be >= 0 bytes")
    for key, content in seed_documents().items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    write_large_file(root / LARGE_FILE, large_file_size, seed)
