#!/usr/bin/env python3
"""Listing pages read per second: Seek's reader (libxml2's HTML parser through SeekHTML) against Python's lxml
(libxml2 too, with its own bindings) on the same pages in the same run, then the peak memory of each on the
hostile pages (a benchmark).

Both sides do the same work per page: detect the charset, parse the HTML, read every JSON-LD script (with
`@graph`) and the microdata items, find the listings among them (ItemList → ListItem → Apartment/House/Offer…,
title, price and currency, city, url, surface, rooms, image) and the next page; the script checks that both
found the same number of listings on every page before it compares speeds.
Pages: the Swift tests' fixtures (Tests/SeekWorkersWebTests/Fixtures) and two generated result pages as a
listings site serves them (30 cards of markup, one with JSON-LD, one with microdata only).
Needs `swift build -c release --product listings-bench` and lxml (blackbox/requirements.txt).
Usage: bench/listings.py [--count 5000]
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import lxml
import lxml.html
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".build" / "release" / "listings-bench"
FIXTURES = ROOT / "Tests" / "SeekWorkersWebTests" / "Fixtures"
LISTING_TYPES = {"RealEstateListing", "Offer", "Product", "Residence", "Apartment", "SingleFamilyResidence", "House", "Accommodation"}
CONTAINERS = {"ItemList", "SearchResultsPage", "CollectionPage", "WebPage", "OfferCatalog"}


# --- the lxml side: the same reading as SeekHTML.PageData and SeekWorkersWeb.ListingReader ---------------------

def types(node):
    kind = node.get("@type") if isinstance(node, dict) else None
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds if k}


def first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def text(value):
    value = first(value)
    if isinstance(value, dict):
        value = value.get("@value", value.get("name"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return None


def number(value):
    value = first(value)
    if isinstance(value, dict):
        value = value.get("value", value.get("@value"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        digits = re.sub(r"[^\d.,]", "", value).replace(",", "")
        try:
            return float(digits) if digits else None
        except ValueError:
            return None
    return None


def listing(node, base):
    is_offer = "Offer" in types(node)
    thing = (first(node.get("itemOffered")) or node) if is_offer else node
    offer = node if is_offer else (first(node.get("offers")) or {})
    places = [p for p in (thing, first(thing.get("about")), first(thing.get("mainEntity")), first(offer.get("itemOffered"))) if isinstance(p, dict)]

    def lookup(key):
        return next((p[key] for p in places if p.get(key) is not None), None)

    title = text(node.get("name")) or text(lookup("name")) or text(node.get("headline"))
    spec = first(offer.get("priceSpecification")) if isinstance(first(offer.get("priceSpecification")), dict) else {}
    price = number(offer.get("price") or spec.get("price") or offer.get("lowPrice") or node.get("price"))
    if title is None and price is None:
        return None
    currency = text(offer.get("priceCurrency")) or text(spec.get("priceCurrency")) or text(node.get("priceCurrency"))
    url = next((urljoin(base, u) for u in (text(node.get("url")), text(thing.get("url")), text(offer.get("url"))) if u), None)
    address = first(lookup("address"))
    city = text(address.get("addressLocality")) if isinstance(address, dict) else text(address)
    all_types = set().union(*(types(p) for p in places + [node]))
    kind = "apartment" if "Apartment" in all_types else "house" if all_types & {"SingleFamilyResidence", "House"} else None
    image = text(lookup("image") or node.get("image"))
    digits = max(re.findall(r"\d{4,15}", url or ""), key=len, default=None)
    item = {"id": int(digits) if digits else hash(url or title) & ((1 << 53) - 1), "title": title,
            "price_eur": price if (currency or "").upper() == "EUR" else None, "location_city": city}
    item.update({k: v for k, v in (("url", url), ("surface_m2", number(lookup("floorSize"))), ("rooms", number(lookup("numberOfRooms"))),
                                   ("property_type", kind), ("image_url", image and urljoin(base, image))) if v is not None})
    return item


def visit(node, base, depth, out):
    if depth >= 8:
        return
    if isinstance(node, list):
        for member in node:
            visit(member, base, depth + 1, out)
        return
    if not isinstance(node, dict):
        return
    if types(node) & CONTAINERS or "itemListElement" in node:
        for key in ("itemListElement", "mainEntity", "about", "hasPart", "itemOffered"):
            members = node.get(key)
            for member in members if isinstance(members, list) else [members] if members else []:
                visit(member.get("item", member) if isinstance(member, dict) else member, base, depth + 1, out)
        return
    if types(node) & LISTING_TYPES:
        found = listing(node, base)
        if found:
            out.append(found)


def microdata_item(scope, base):
    item = {}
    if scope.get("itemtype"):
        item["@type"] = scope.get("itemtype").split()[0].rsplit("/", 1)[-1]
    stack = list(scope)[::-1]
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str):
            continue
        names = element.get("itemprop")
        nested = element.get("itemscope") is not None
        if names:
            if nested:
                value = microdata_item(element, base)
            elif element.tag == "meta":
                value = element.get("content", "")
            elif element.tag in ("a", "link", "img", "source") and (element.get("href") or element.get("src")):
                value = urljoin(base, element.get("href") or element.get("src"))
            else:
                value = " ".join(element.text_content().split())
            for name in names.split():
                item[name] = item[name] + [value] if isinstance(item.get(name), list) else [item[name], value] if name in item else value
        if not (names and nested):
            stack.extend(list(element)[::-1])
    return item


def lxml_read(data: bytes, url: str) -> int:
    document = lxml.html.document_fromstring(data, parser=lxml.html.HTMLParser(huge_tree=False))
    json_ld, scopes, next_page = [], [], None
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "script" and "ld+json" in (element.get("type") or "").lower():
            try:
                value = json.loads(element.text or "")
            except ValueError:
                continue
            for node in value if isinstance(value, list) else [value]:
                json_ld.append(node)
                if isinstance(node, dict) and isinstance(node.get("@graph"), list):
                    json_ld.extend(node["@graph"])
        elif tag in ("a", "link") and next_page is None and "next" in (element.get("rel") or "").lower().split():
            next_page = urljoin(url, element.get("href") or "")
        if element.get("itemscope") is not None and element.get("itemprop") is None:
            scopes.append(element)
    found = []
    visit(json_ld, url, -1, found)
    if not found:
        visit([microdata_item(scope, url) for scope in scopes], url, -1, found)
    return len(found)


# --- the pages ---------------------------------------------------------------------------------------------

def results_page(microdata: bool) -> bytes:
    """A results page as listings sites serve them: head with styles and scripts, navigation, 30 cards with
    photos, prices and features, pagination, footer; the listings in one JSON-LD ItemList, or in microdata."""
    cards, elements = [], []
    for n in range(30):
        ident, rooms, surface, price = 2836750000 + n * 17, 1 + n % 5, 25 + n * 4, 150000 + n * 12500
        city = ["Lyon", "Villeurbanne", "Caluire-et-Cuire", "Bron"][n % 4]
        scope = ' itemscope itemtype="https://schema.org/Apartment"' if microdata else ""
        prop = (lambda name: f' itemprop="{name}"') if microdata else (lambda name: "")
        offer = (f'<div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><meta itemprop="priceCurrency" content="EUR">'
                 f'<span itemprop="price" content="{price}">{price:,} €</span></div>') if microdata else f'<span class="price">{price:,} €</span>'
        cards.append(f'''<article class="card card--premium" data-id="{ident}"{scope}>
  <a class="card__link" href="/annonce/{ident}"{prop("url")}><img class="card__photo" src="https://img.example/{ident}-1.jpg"{prop("image")} alt="Photo 1" loading="lazy" width="320" height="240"></a>
  <div class="card__body"><h2 class="card__title"{prop("name")}>Appartement {rooms} pièces {city}</h2>
  <ul class="card__features"><li>{rooms} pièces</li><li><span{prop("numberOfRooms")}>{rooms}</span> chambres</li><li>{surface} m²</li><li>Étage {n % 7}</li></ul>
  <p class="card__place"{prop("address")}{' itemscope itemtype="https://schema.org/PostalAddress"' if microdata else ""}><span{prop("addressLocality")}>{city}</span> (69)</p>
  {offer}<p class="card__agency">Agence du Rhône · <time datetime="2026-11-{1 + n % 28:02d}">il y a {n} jours</time></p>
  <button class="card__save" type="button" aria-label="Sauvegarder">♡</button></div></article>''')
        elements.append({"@type": "ListItem", "position": n + 1, "item": {
            "@type": "Apartment", "name": f"Appartement {rooms} pièces {city}", "url": f"/annonce/{ident}", "numberOfRooms": rooms,
            "floorSize": {"@type": "QuantitativeValue", "value": surface, "unitCode": "MTK"}, "image": f"https://img.example/{ident}-1.jpg",
            "address": {"@type": "PostalAddress", "addressLocality": city},
            "offers": {"@type": "Offer", "price": price, "priceCurrency": "EUR"}}})
    json_ld = "" if microdata else ('<script type="application/ld+json">'
                                    + json.dumps({"@context": "https://schema.org", "@type": "ItemList", "numberOfItems": 1247,
                                                  "itemListElement": elements}, ensure_ascii=False) + "</script>")
    style = "<style>" + "".join(f".c{n}{{margin:{n}px;padding:{n % 5}px}}" for n in range(400)) + "</style>"
    script = "<script>window.__STATE__=" + json.dumps({"filters": list(range(500)), "ab": "x" * 2000}) + ";</script>"
    nav = "<nav><ul>" + "".join(f'<li><a href="/ville/{n}">Ville {n}</a></li>' for n in range(120)) + "</ul></nav>"
    pages = '<nav class="pagination">' + "".join(f'<a href="?page={n}">{n}</a>' for n in range(1, 10)) + '<a rel="next" href="?page=2">Suivant</a></nav>'
    footer = "<footer>" + "".join(f"<p>Mentions légales, cookies et conditions {n}.</p>" for n in range(40)) + "</footer>"
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Appartements à vendre à Lyon</title>{style}{script}{json_ld}'
            f'</head><body><header><a href="/">Annonces</a></header>{nav}<main><h1>1 247 annonces</h1>{"".join(cards)}</main>{pages}{footer}'
            "</body></html>").encode("utf-8")


def hostile_pages(directory: Path):
    deep = (b"<html><head><script type='application/ld+json'>{\"@type\":\"Apartment\",\"name\":\"Top floor\","
            b"\"offers\":{\"price\":1,\"priceCurrency\":\"EUR\"}}</script></head><body>"
            + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>")
    pages = {"tiny (baseline)": b"<html><body><p>hi</p></body></html>", "100,000 nested <div>s": deep,
             "10 MiB attribute (the fetch limit)": b"<html><body><div title='" + b"x" * (10 * 1024 * 1024) + b"'></div></body></html>",
             "50 MB attribute": b"<html><body><div title='" + b"x" * (50 * 1024 * 1024) + b"'></div></body></html>",
             "broken encodings, 1 MB": (b"<html><head><meta charset='utf-8'><meta charset='shift_jis'></head><body>"
                                        + bytes(range(128, 256)) * 8192 + b"\xff\xfe\xc3(" * 1000 + b"</body></html>")}
    paths = {}
    for index, (name, body) in enumerate(pages.items()):
        paths[name] = directory / f"hostile-{index}.html"
        paths[name].write_bytes(body)
    return paths


def peak_kib(command) -> int:
    """A child process's own peak resident memory (VmHWM, which it prints last), in KiB. Not wait4's rusage:
    Linux carries the forking parent's peak into the child's."""
    run = subprocess.run(command, check=True, capture_output=True, text=True)
    return int(json.loads(run.stdout.strip().splitlines()[-1])["peak_kib"])


LXML_ONE = ("import json, sys; sys.path.insert(0, sys.argv[1]); from listings import lxml_read; "
            "from pathlib import Path; p = Path(sys.argv[2]); lxml_read(p.read_bytes(), 'https://listings.example/' + p.name); "
            "print(json.dumps({'peak_kib': next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))}))")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    (work / "results-json-ld.html").write_bytes(results_page(microdata=False))
    (work / "results-microdata.html").write_bytes(results_page(microdata=True))
    sets = {"the test fixtures (4 pages, 0.4–2 KB)": [FIXTURES / f"{name}.html" for name in ("listings-1", "listings-2", "listings-3", "microdata")],
            f"a generated results page, JSON-LD ({(work / 'results-json-ld.html').stat().st_size // 1024} KB, 30 listings)": [work / "results-json-ld.html"],
            f"a generated results page, microdata only ({(work / 'results-microdata.html').stat().st_size // 1024} KB, 30 listings)":
                [work / "results-microdata.html"]}
    print(f"lxml {lxml.__version__} on libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}; Seek on the system's libxml2\n")
    print("| pages | Seek (libxml2) | lxml | ratio |\n|---|---|---|---|")
    for label, files in sets.items():
        count = args.count if len(files) > 1 else max(args.count // 10, 50)
        seek = json.loads(subprocess.run([str(BENCH), str(count)] + [str(f) for f in files], check=True, capture_output=True, text=True).stdout)
        contents = [(f.read_bytes(), "https://listings.example/" + f.name) for f in files]
        per_page = [lxml_read(data, url) for data, url in contents]
        assert per_page == seek["items_per_page"], f"{label}: lxml found {per_page} listings, Seek {seek['items_per_page']}"
        started = time.perf_counter()
        for index in range(count):
            lxml_read(*contents[index % len(contents)])
        python_seconds = time.perf_counter() - started
        seek_rate, python_rate = count / seek["seconds"], count / python_seconds
        print(f"| {label}: {sum(per_page)} listings | {seek_rate:,.0f} pages/s | {python_rate:,.0f} pages/s | {seek_rate / python_rate:.2f}× (target ≥ 1×) |")
    print("\n| hostile page | Seek peak RSS | lxml peak RSS |\n|---|---|---|")
    for name, path in hostile_pages(work).items():
        seek_kib = peak_kib([str(BENCH), "1", str(path)])
        python_kib = peak_kib([sys.executable, "-c", LXML_ONE, str(Path(__file__).resolve().parent), str(path)])
        print(f"| {name} ({path.stat().st_size / 1e6:.1f} MB) | {seek_kib / 1024:.0f} MiB | {python_kib / 1024:.0f} MiB |")


if __name__ == "__main__":
    sys.exit(main())
