"""real-estate-listings, linkedin-profile and places-search over HTTP, against fixture sites on 127.0.0.1.

The server runs with the guard on (no --allow-private-network): only the fixture site's own host:port is
trusted (--allow-private-host), so a redirect to any other private address is refused as it would be in
production. The fixture pages are the Swift tests' own (Tests/SeekWorkersWebTests/Fixtures).
"""
import http.server
import threading
from pathlib import Path

import pytest

from conftest import Client, admin, balance_matches_ledger

FIXTURES = Path(__file__).resolve().parent.parent / "Tests" / "SeekWorkersWebTests" / "Fixtures"

ROBOTS = b"User-agent: *\nDisallow: /private/\n\nUser-agent: OtherBot\nDisallow: /\n"


class Site:
    """Listings pages, a profile and a login wall, robots.txt, a flaky page, a redirect to a private address,
    hostile pages, and recorded Nominatim and Overpass answers. Counts the requests to each path."""

    def __init__(self):
        self.hits = {}
        self.lock = threading.Lock()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = self.path.split("?")[0]
                with site.lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                    count = site.hits[path]
                if path == "/robots.txt":
                    return self.answer(200, ROBOTS, "text/plain")
                if path.startswith("/search/") or path.startswith("/in/"):
                    name = {"/in/jane-doe": "profile.html", "/in/walled": "login-wall.html"}.get(path, path.rsplit("/", 1)[-1])
                    file = FIXTURES / name
                    return self.answer(200, file.read_bytes(), "text/html; charset=utf-8") if file.is_file() else self.answer(404, b"no")
                if path == "/private/listings.html":
                    return self.answer(200, (FIXTURES / "listings-3.html").read_bytes(), "text/html")
                if path == "/flaky/listings.html":
                    if count == 1:
                        return self.answer(429, b"slow down", "text/plain", {"Retry-After": "1"})
                    return self.answer(200, (FIXTURES / "listings-3.html").read_bytes(), "text/html")
                if path == "/moved":
                    return self.answer(302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"})
                if path == "/deep.html":
                    body = (b"<html><head><script type='application/ld+json'>{\"@type\":\"Apartment\",\"name\":\"Top floor\","
                            b"\"offers\":{\"price\":1,\"priceCurrency\":\"EUR\"}}</script></head><body>"
                            + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>")
                    return self.answer(200, body, "text/html")
                if path == "/huge.html":
                    return self.answer(200, b"<html><body>" + b"<div title='" + b"x" * (50 * 1024 * 1024) + b"'></div></body></html>", "text/html")
                if path == "/nominatim/search":
                    return self.answer(200, (FIXTURES / "nominatim-search.json").read_bytes(), "application/json")
                if path == "/overpass/interpreter":
                    return self.answer(200, (FIXTURES / "overpass-cafes.json").read_bytes(), "application/json")
                return self.answer(404, b"not here")

            def answer(self, status, body, content_type="text/html", headers=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server stopped reading at its limit, as it should

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.origin = f"http://{self.host}"


@pytest.fixture
def site():
    fixture_site = Site()
    yield fixture_site
    fixture_site.server.shutdown()


@pytest.fixture
def client(site, data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "web", "--plan", "pro", "--credits", "1000")
    server = start("--allow-private-host", site.host, "--fetch-delay-ms", "0",
                   "--nominatim-url", f"{site.origin}/nominatim", "--overpass-url", f"{site.origin}/overpass/interpreter")
    return Client(server, created["api_key"])


def run(client, worker, body):
    accepted = client.submit(worker, body)
    assert accepted.status_code == 202, accepted.text
    return client.wait_terminal(accepted.json()["job_uuid"])


def test_listings_across_three_pages_in_seed_shape(client, site):
    job = run(client, "real-estate-listings", {"search_url": f"{site.origin}/search/listings-1.html"})
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["kind"] == "list" and result["data"] is None
    items = result["items"]
    assert [item["id"] for item in items][:5] == [2836759210, 2836759388, 2836760001, 2836761234, 91827364]
    assert items[0] == {"id": 2836759210, "title": "Apartment T3 Lyon Centre", "price_eur": 320000, "location_city": "Lyon",
                        "url": f"{site.origin}/annonce/2836759210", "surface_m2": 68, "rooms": 3, "property_type": "apartment",
                        "image_url": "https://img.example/2836759210.jpg"}
    assert list(items[0])[:4] == ["id", "title", "price_eur", "location_city"]
    pounds = items[4]
    assert pounds["price_eur"] is None and pounds["price"] == 725000 and pounds["price_currency"] == "GBP"
    assert len(items) == 6, "the repeated listing on page 2 is delivered once"
    meta = result["meta"]
    assert set(meta) == {"scraped_at", "total_available", "ads_delivered"}
    assert meta["total_available"] == 247 and meta["ads_delivered"] == 6
    assert job["cost_credits"] == 6, "one credit per listing delivered"
    assert site.hits["/robots.txt"] == 1, "robots.txt is read once per host and kept"
    balance_matches_ledger(client)


def test_microdata_only_page(client, site):
    job = run(client, "real-estate-listings", {"search_url": f"{site.origin}/search/microdata.html", "max_items": 5})
    assert job["status"] == "completed", job
    assert [item["title"] for item in job["result"]["items"]] == ["Appartement 2 pièces Part-Dieu", "Maison de ville Caluire"]
    assert job["cost_credits"] == 2


def test_robots_txt_disallows_and_costs_nothing(client, site):
    job = run(client, "real-estate-listings", {"search_url": f"{site.origin}/private/listings.html"})
    assert job["status"] == "failed" and job["error"]["code"] == "fetch_disallowed", job
    assert job["cost_credits"] == 0
    assert "/private/listings.html" not in site.hits, "a disallowed page is never requested"


def test_429_then_200_is_retried_after_retry_after(client, site):
    job = run(client, "real-estate-listings", {"search_url": f"{site.origin}/flaky/listings.html"})
    assert job["status"] == "completed", job
    assert [item["title"] for item in job["result"]["items"]] == ["Loft Confluence"]
    assert site.hits["/flaky/listings.html"] == 2


def test_redirect_to_a_private_address_is_refused_without_naming_it(client, site):
    job = run(client, "real-estate-listings", {"search_url": f"{site.origin}/moved"})
    assert job["status"] == "failed" and job["error"]["code"] == "fetch_refused", job
    assert "resolves to" not in job["error"]["message"]
    assert job["cost_credits"] == 0


def test_hostile_pages(client, site):
    deep = run(client, "real-estate-listings", {"search_url": f"{site.origin}/deep.html"})
    assert deep["status"] == "completed", deep
    assert [item["title"] for item in deep["result"]["items"]] == ["Top floor"]
    huge = run(client, "real-estate-listings", {"search_url": f"{site.origin}/huge.html"})
    assert huge["status"] == "failed" and huge["error"]["code"] == "input_too_large", huge
    assert huge["cost_credits"] == 0
    assert client.request("GET", "/healthz").status_code == 200


def test_linkedin_profile_and_login_wall(client, site):
    job = run(client, "linkedin-profile", {"profile_url": f"{site.origin}/in/jane-doe"})
    assert job["status"] == "completed", job
    data = job["result"]["data"]
    assert job["result"]["kind"] == "object"
    assert (data["name"], data["headline"], data["location"], data["current_company"]) == ("Jane Doe", "Staff Engineer", "Lyon, FR", "Acme")
    assert [position["company"] for position in data["experience"]] == ["Acme", "Initech"]
    assert data["education"][0]["school"] == "Université Claude Bernard Lyon 1"
    assert job["cost_credits"] == 5

    walled = run(client, "linkedin-profile", {"profile_url": f"{site.origin}/in/walled"})
    assert walled["status"] == "failed" and walled["error"]["code"] == "profile_not_public", walled
    assert walled["cost_credits"] == 0
    balance_matches_ledger(client)


def test_places_search_on_fixture_nominatim_and_overpass(client, site):
    job = run(client, "places-search", {"query": "coffee in Paris", "max_items": 2})
    assert job["status"] == "completed", job
    items = job["result"]["items"]
    assert [item["name"] for item in items] == ["Le Petit Pont", "Café Hôtel de Ville"]
    assert set(items[0]) == {"name", "category", "lat", "lon", "address", "opening_hours", "website", "phone", "osm_id", "distance_m"}
    assert job["result"]["meta"]["total_found"] == 3
    assert job["cost_credits"] == 2, "one credit per place delivered, capped by max_items"
    again = run(client, "places-search", {"query": "cafés in Paris", "max_items": 1})
    assert again["status"] == "completed" and again["cost_credits"] == 1
    assert site.hits["/nominatim/search"] == 1, "a geocoded place is kept, as Nominatim's policy asks"
