"""email-validator over HTTP: verdicts against a local DNS server (dnslib) with fixture zones, and its syntax
verdicts against PyPI's email-validator on a corpus of tricky addresses made here."""
import re
import socket
import threading
from pathlib import Path

import pytest
from email_validator import EmailNotValidError, validate_email

from conftest import Client, FixtureDNS, admin, balance_matches_ledger, free_port

ROOT = Path(__file__).resolve().parent.parent

# name → records; a name absent here is NXDOMAIN.
ZONES = {
    "accepts.example.org": [("MX", 10, "mx1.accepts.example.org"), ("MX", 20, "mx2.accepts.example.org")],
    "nullmx.example.org": [("MX", 0, ".")],
    "aonly.example.org": [("A", "192.0.2.10")],
    "v6only.example.org": [("AAAA", "2001:db8::10")],
    "txtonly.example.org": [("TXT", "v=spf1 -all")],
    "gmail.com": [("MX", 5, "gmail-smtp-in.l.google.com")],
    "mx1.accepts.example.org": [("A", "127.0.0.1")],
    "catchall.example.org": [("MX", 10, "mx.catchall.example.org")],
    "mx.catchall.example.org": [("A", "127.0.0.1")],
    "mailinator.com": [("MX", 10, "mail.mailinator.com")],
}
SERVFAIL = {"broken.example.org"}


@pytest.fixture
def dns():
    server = FixtureDNS(ZONES, servfail=SERVFAIL)
    yield server
    server.close()


def test_verdicts_follow_dns(data_dir, start, dns):
    created = admin(data_dir, "workspace", "create", "--name", "mail", "--plan", "pro", "--credits", "1000")
    server = start(env={"SEEK_DNS_SERVER": f"127.0.0.1:{dns.port}"})
    client = Client(server, created["api_key"])
    emails = ["jane@accepts.example.org", "john@accepts.example.org", "x@nullmx.example.org", "x@aonly.example.org",
              "x@v6only.example.org", "x@txtonly.example.org", "x@nowhere.example.org", "x@broken.example.org",
              "info@accepts.example.org", "someone@mailinator.com", "someone@gmail.com", "not an address", "x@[192.0.2.1]"]
    job = client.wait_terminal(client.submit("email-validator", {"emails": emails}).json()["job_uuid"])
    assert job["status"] == "completed", job
    items = {item["email"]: item for item in job["result"]["items"]}
    assert [item["email"] for item in job["result"]["items"]] == emails, "one item per address, in order"
    verdict = {email: (item["status"], item["mx_found"]) for email, item in items.items()}
    assert verdict["jane@accepts.example.org"] == ("valid", True)
    assert verdict["x@nullmx.example.org"] == ("invalid", False), "RFC 7505 null MX"
    assert verdict["x@aonly.example.org"] == ("valid", True), "an A record is the implicit MX"
    assert verdict["x@v6only.example.org"] == ("valid", True), "so is AAAA"
    assert verdict["x@txtonly.example.org"] == ("invalid", False)
    assert verdict["x@nowhere.example.org"] == ("invalid", False), "NXDOMAIN"
    assert verdict["x@broken.example.org"][0] == "unknown", "SERVFAIL says nothing about the address"
    assert items["info@accepts.example.org"]["role_account"] and verdict["info@accepts.example.org"][0] == "risky"
    assert items["someone@mailinator.com"]["disposable"] and verdict["someone@mailinator.com"][0] == "risky"
    assert items["someone@gmail.com"]["free_provider"] and verdict["someone@gmail.com"] == ("valid", True)
    assert items["not an address"]["syntax_valid"] is False and items["not an address"]["score"] == 0
    for item in job["result"]["items"]:
        assert set(item) == {"email", "normalized", "status", "score", "syntax_valid", "mx_found", "disposable", "role_account",
                             "free_provider", "reason"} and 0 <= item["score"] <= 100
    assert job["result"]["meta"] == {"processed_count": 13, "error_count": 1}
    assert job["cost_credits"] == 13 and job["cost"]["billing_mode"] == "per_event"
    # Each domain is asked once per job, however many addresses share it.
    assert dns.questions.count(("accepts.example.org", "MX")) == 1
    balance_matches_ledger(client)


# Local parts and domains that RFC 5321/5322/6531 and implementations disagree about; the corpus is their
# product with a plain counterpart, plus whole addresses that test the limits.
LOCALS = ["simple", "very.common", "x", "long.email-address-with-hyphens", "name+tag+sorting", "name/surname", "admin",
          "#!$%&'*+-/=?^_`{}|~", "-", "_", "a.b.c.d.e", "user%example.com", "user-", "UPPER", "MiXeD.Case", "1234567890",
          '"john..doe"', '"quoted@at"', '"with space"', '"esc\\"aped"', '""', '"a\\\\b"', '"unclosed', 'a"b', '"a"b',
          "a..b", ".dot", "dot.", "user name", "user\tname", "user,name", "user;name", "user:name", "user<name>", "(comment)x",
          "x(comment)", "a@b", "[x]", "user\\name", "üñîçøðé", "用户", "Pelé", "ಬೆಂಬಲ", "δοκιμή", "я", "अजय", "µ",
          "a\u200bb", "a\u00adb", "a\u202eb", "a\u0000b", "a\u007fb", "tab\u0009", "e\u0301", "ﬁ", "Ⅻ", "①", "a" * 64, "a" * 65,
          "😀", "a\ud7ffb".replace("\ud7ff", "\ud7fb"), "\u00a0x", "x\u3000y"]
DOMAINS = ["example.com", "EXAMPLE.COM", "sub.example.co.uk", "a.b", "x.io", "xn--bcher-kva.example", "bücher.example",
           "例え.jp", "münchen.de", "ÉXAMPLE.FR", "παράδειγμα.δοκιμή", "пример.рф", "localhost", "example", "example.test",
           "example.invalid", "example.local", "foo.onion", "1.in-addr.arpa", "exa_mple.com", "-example.com", "example-.com",
           "ex--ample.com", "xn--ls8h.la", "xn--zz.example", "[127.0.0.1]", "[IPv6:::1]", "[IPv6:2001:db8::1]", "[300.1.1.1]",
           "[IPv6:zz::1]", "[example.com]", "123.456", "example.123", "example.c0m", "example..com", ".example.com",
           "example.com.", "a" * 63 + ".com", "a" * 64 + ".com", ".".join(["abcdefghi"] * 25) + ".com", "ex ample.com",
           "ex\tample.com", "example.com\u3002org", "exam\u200dple.com", "1.2.3.4", "example.xn--p1ai", "ﬁ.com", "☃.net",
           "under_score.example.com", "sub.-bad.com", "xn--.com", "xn--a.com", "example.co_m", "e.x.a.m.p.l.e.com"]


def corpus():
    """Each local part with a plain domain, each domain with a plain local part, then their crossings (every
    fifth local part with every third domain)."""
    addresses = [f"{local}@example.com" for local in LOCALS] + [f"jane@{domain}" for domain in DOMAINS]
    addresses += [f"{local}@{domain}" for local in LOCALS[::5] for domain in DOMAINS[::3]]
    addresses += ["", "@", "@example.com", "jane@", "jane", "jane@@example.com", "jane@example.com@example.com", "a@b@c.com",
                  "x" * 64 + "@" + "y" * 63 + "." + "z" * 63 + "." + "w" * 57 + ".com", "x" * 64 + "@" + ("y" * 63 + ".") * 3 + "com",
                  " jane@example.com", "jane@example.com ", "jane@ example.com", "jane @example.com", "<jane@example.com>",
                  "Jane <jane@example.com>", "jane@example.com\n", "mailto:jane@example.com", "jane.@example.com", "jane..doe@example.com"]
    return list(dict.fromkeys(addresses))


def reference_verdict(address):
    """PyPI's email-validator, told what RFC 5321 allows: quoted local parts and address literals."""
    try:
        validate_email(address, check_deliverability=False, allow_quoted_local=True, allow_domain_literal=True)
        return True
    except EmailNotValidError:
        return False


def documented_disagreements():
    """The addresses docs/workers.md lists as disagreements, each with its reason there."""
    text = (ROOT / "docs" / "workers.md").read_text()
    section = text.split("### Where Seek's syntax verdicts differ from email-validator's", 1)[1].split("\n## ", 1)[0]
    return {eval(match) for match in re.findall(r"^\| (\"[^\n]*?\") \|", section, re.M)}


def test_syntax_agrees_with_pypi_email_validator(data_dir, start, dns):
    addresses = corpus()
    assert len(addresses) >= 300
    created = admin(data_dir, "workspace", "create", "--name", "corpus", "--plan", "pro", "--credits", "1000")
    server = start(env={"SEEK_DNS_SERVER": f"127.0.0.1:{dns.port}"})
    client = Client(server, created["api_key"])
    job = client.wait_terminal(client.submit("email-validator", {"emails": addresses, "check_mx": False}).json()["job_uuid"])
    assert job["status"] == "completed", job
    seek = {item["email"]: item["syntax_valid"] for item in job["result"]["items"]}
    disagreements = {address for address in addresses if seek[address] != reference_verdict(address)}
    documented = documented_disagreements()

    def explained(address):
        # A crossing disagrees for the reason its local part or its domain does on its own.
        local, _, domain = address.rpartition("@")
        return address in documented or f"{local}@example.com" in documented or f"jane@{domain}" in documented

    unexplained = sorted(a for a in disagreements if not explained(a))
    assert unexplained == [], "undocumented disagreements: " + "; ".join(
        f"{a!r} seek={seek[a]} email-validator={reference_verdict(a)}" for a in unexplained)
    assert documented - disagreements == set(), f"documented but no longer disagreeing: {documented - disagreements}"
    print(f"{len(addresses)} addresses, {len(disagreements)} disagreements, all documented")
    assert dns.questions == [], "check_mx false asks DNS nothing"


class FixtureSMTP:
    """aiosmtpd on 127.0.0.1, offering STARTTLS with a self-signed certificate. At accepts.example.org it
    takes jane and john, greylists grey and refuses the rest; at catchall.example.org it takes anyone."""

    def __init__(self, directory: Path):
        import ssl
        import subprocess
        from aiosmtpd.controller import Controller

        key, cert = directory / "key.pem", directory / "cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
                        "-subj", "/CN=mx1.accepts.example.org"], check=True, capture_output=True)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        fixture = self
        self.sessions, self.recipients, self.tls, self.data = 0, [], [], 0

        class Handler:
            async def handle_EHLO(self, server, session, envelope, hostname, responses):
                session.host_name = hostname
                if not session.ssl:
                    fixture.sessions += 1
                fixture.tls.append(bool(session.ssl))
                return responses

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                fixture.recipients.append(address)
                local, _, domain = address.partition("@")
                if domain == "catchall.example.org" or (domain == "accepts.example.org" and local in ("jane", "john")):
                    envelope.rcpt_tos.append(address)
                    return "250 OK"
                if local == "grey":
                    return "450 4.7.1 Greylisted, try again later"
                return "550 5.1.1 No such user"

            async def handle_DATA(self, server, session, envelope):
                fixture.data += 1
                return "554 no mail please"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context, require_starttls=False,
                                     auth_require_tls=False)
        self.controller.start()

    def stop(self):
        self.controller.stop()


def test_smtp_probe_verdicts(data_dir, start, dns, tmp_path):
    smtp = FixtureSMTP(tmp_path)
    try:
        created = admin(data_dir, "workspace", "create", "--name", "smtp", "--plan", "pro", "--credits", "1000")
        server = start(env={"SEEK_DNS_SERVER": f"127.0.0.1:{dns.port}", "SEEK_SMTP_PORT": str(smtp.port), "SEEK_SMTP_HELO": "probe.seek.example"})
        client = Client(server, created["api_key"])
        emails = ["jane@accepts.example.org", "john@accepts.example.org", "nobody@accepts.example.org", "grey@accepts.example.org",
                  "anyone@catchall.example.org", "x@nullmx.example.org"]
        job = client.wait_terminal(client.submit("email-validator", {"emails": emails, "check_smtp": True}).json()["job_uuid"])
        assert job["status"] == "completed", job
        items = {item["email"]: item for item in job["result"]["items"]}
        assert items["jane@accepts.example.org"]["status"] == "valid" and items["jane@accepts.example.org"]["score"] == 99
        assert items["nobody@accepts.example.org"]["status"] == "invalid" and "550" in items["nobody@accepts.example.org"]["reason"]
        assert items["grey@accepts.example.org"]["status"] == "unknown" and "450" in items["grey@accepts.example.org"]["reason"]
        assert items["anyone@catchall.example.org"]["status"] == "risky" and "catch-all" in items["anyone@catchall.example.org"]["reason"]
        assert items["x@nullmx.example.org"]["status"] == "invalid", "a null MX is never probed"
        # One session per domain (two domains take mail), each upgraded with STARTTLS; never DATA.
        assert smtp.sessions == 2 and True in smtp.tls and smtp.data == 0
        asked = [r for r in smtp.recipients if r.endswith("@accepts.example.org")]
        assert sorted(a for a in asked if not a.startswith("seek-probe-")) == sorted(emails[:4])
        assert any(r.startswith("seek-probe-") for r in smtp.recipients), "a random local part tests for a catch-all"
    finally:
        smtp.stop()
