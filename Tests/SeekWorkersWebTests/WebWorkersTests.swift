import Foundation
import SeekCore
import SeekHTML
import SeekTestSupport
import SeekWorkers
import Testing

@testable import SeekWorkersWeb

enum Fixtures {
    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return Array(try Data(contentsOf: url))
    }

    static let site = "https://listings.example"

    /// The listings site: three JSON-LD result pages and one with microdata only.
    static func listingsWeb() throws -> FixtureWeb {
        FixtureWeb([
            "\(site)/search/listings-1.html": .init(try bytes("listings-1.html")),
            "\(site)/search/listings-2.html": .init(try bytes("listings-2.html")),
            "\(site)/search/listings-3.html": .init(try bytes("listings-3.html")),
            "\(site)/search/microdata.html": .init(try bytes("microdata.html")),
        ])
    }
}

@Suite struct RealEstateListingsTests {
    @Test func readsThreeJSONLDPagesInSeedShape() async throws {
        let web = try Fixtures.listingsWeb()
        let report = WorkerReport()
        let result = try await RealEstateListingsWorker().run(
            ["search_url": .string("\(Fixtures.site)/search/listings-1.html")],
            context: context(report: report, fetcher: web)
        )
        let site = Fixtures.site
        let expected: [JSONValue] = [
            [
                "id": 2_836_759_210, "title": "Apartment T3 Lyon Centre", "price_eur": 320_000, "location_city": "Lyon",
                "url": .string("\(site)/annonce/2836759210"), "surface_m2": 68, "rooms": 3, "property_type": "apartment",
                "image_url": "https://img.example/2836759210.jpg",
            ],
            [
                "id": 2_836_759_388, "title": "Maison 5 pièces avec jardin", "price_eur": 450_000, "location_city": "Villeurbanne",
                "url": .string("\(site)/annonce/2836759388"), "surface_m2": 120, "rooms": 5, "property_type": "house",
            ],
            [
                "id": 2_836_760_001, "title": "Studio meublé Croix-Rousse", "price_eur": 189_000, "location_city": "Lyon",
                "url": .string("\(site)/annonce/2836760001"), "surface_m2": 24.5, "rooms": 1, "property_type": "apartment",
            ],
            [
                "id": 2_836_761_234, "title": "Villa contemporaine Écully", "price_eur": 1_150_000, "location_city": "Écully",
                "url": .string("\(site)/annonce/2836761234"), "rooms": 6, "property_type": "house", "image_url": "https://img.example/2836761234.jpg",
            ],
            // Pounds stay pounds.
            [
                "id": 91_827_364, "title": "Flat in Kensington", "price_eur": nil, "location_city": "London", "price": 725_000,
                "price_currency": "GBP",
                "url": "https://uk.listings.example/property/91827364", "property_type": "apartment",
            ],
            [
                "id": .integer(
                    ListingReader.identifier(
                        .null,
                        thing: .null,
                        listing: Listing(id: 0, title: "Loft Confluence", price: 540_000, city: "Lyon Confluence")
                    )
                ),
                "title": "Loft Confluence", "price_eur": 540_000, "location_city": "Lyon Confluence",
            ],
        ]
        #expect(result.items == expected)
        #expect(result.meta["total_available"] == 247)
        #expect(result.meta["ads_delivered"] == 6)
        #expect(result.meta["scraped_at"]?.stringValue.flatMap(Timestamp.parse) != nil)
        #expect(report.current.events == 6, "one billable event per listing delivered")
        #expect(web.requests.allSatisfy { $0.honoursRobots }, "pages a worker crawls honour robots.txt")
        // Keys in seed 001's order first.
        #expect((result.items[0].objectValue?.keys.prefix(4)).map(Array.init) ?? [] == ["id", "title", "price_eur", "location_city"])
    }

    @Test func filtersAndCapsAndStopsFetchingWhenFull() async throws {
        let web = try Fixtures.listingsWeb()
        let report = WorkerReport()
        let result = try await RealEstateListingsWorker().run(
            ["search_url": .string("\(Fixtures.site)/search/listings-1.html"), "max_items": 2, "property_type": "apartment", "max_price": 400_000],
            context: context(report: report, fetcher: web)
        )
        #expect(result.items.map { $0["id"] } == [2_836_759_210, 2_836_760_001])
        #expect(report.current.events == 2)
        #expect(web.requests.count == 1, "two matching listings on page 1: page 2 is never fetched")
    }

    @Test func readsMicrodataWhenThereIsNoJSONLD() async throws {
        let result = try await RealEstateListingsWorker().run(
            ["search_url": .string("\(Fixtures.site)/search/microdata.html")],
            context: context(fetcher: try Fixtures.listingsWeb())
        )
        #expect(
            result.items == [
                [
                    "id": 4_400_123, "title": "Appartement 2 pièces Part-Dieu", "price_eur": 245_000, "location_city": "Lyon",
                    "url": .string("\(Fixtures.site)/bien/4400123"), "surface_m2": 45, "rooms": 2, "property_type": "apartment",
                    "image_url": .string("\(Fixtures.site)/photos/4400123.jpg"),
                ],
                [
                    "id": 4_400_456, "title": "Maison de ville Caluire", "price_eur": 398_000, "location_city": "Caluire-et-Cuire",
                    "url": .string("\(Fixtures.site)/bien/4400456"), "rooms": 4, "property_type": "house",
                ],
            ]
        )
        #expect(result.meta["total_available"] == 2, "no stated total: the listings found")
    }

    @Test func citySearchUsesTheConfiguredSources() async throws {
        var configuration = RealEstateListingsWorker.Configuration()
        configuration.sources = ["\(Fixtures.site)/search/{city}.html"]
        let web = FixtureWeb(["\(Fixtures.site)/search/Saint%20%C3%89tienne.html": .init(try Fixtures.bytes("listings-3.html"))])
        let result = try await RealEstateListingsWorker(configuration: configuration).run(["city": "Saint Étienne"], context: context(fetcher: web))
        #expect(result.items.map { $0["title"] } == ["Loft Confluence"])

        await #expect(throws: WorkerFailure.self) {
            _ = try await RealEstateListingsWorker().run(["city": "Lyon"], context: context(fetcher: web))
        }
    }

    @Test func numbersAsPagesWriteThem() {
        #expect(SchemaOrg.parseNumber("320 000 €") == 320_000)
        #expect(SchemaOrg.parseNumber("1.250.000,50") == 1_250_000.5)
        #expect(SchemaOrg.parseNumber("1,250,000.50") == 1_250_000.5)
        #expect(SchemaOrg.parseNumber("320.000") == 320_000)
        #expect(SchemaOrg.parseNumber("24,5") == 24.5)
        #expect(SchemaOrg.parseNumber("From 189000.00 to 200000") == 189_000)
        #expect(SchemaOrg.parseNumber("price on request") == nil)
    }
}

@Suite struct LinkedInProfileTests {
    static let url = "https://www.linkedin.com/in/jane-doe"

    @Test func readsThePersonFromJSONLD() async throws {
        let web = FixtureWeb([Self.url: .init(try Fixtures.bytes("profile.html"))])
        let result = try await LinkedInProfileWorker().run(["profile_url": .string(Self.url)], context: context(fetcher: web))
        #expect(result.kind == .object)
        #expect(
            result.data == [
                "name": "Jane Doe", "headline": "Staff Engineer", "location": "Lyon, FR", "current_company": "Acme",
                "experience": [
                    ["title": "Staff Engineer", "company": "Acme", "start": "2021-03", "end": nil],
                    ["title": "Senior Engineer", "company": "Initech", "start": "2016", "end": "2021"],
                ],
                "education": [["school": "Université Claude Bernard Lyon 1", "degree": "MSc Computer Science", "start": "2010", "end": "2015"]],
                "url": .string(Self.url), "image_url": "https://media.example/jane.jpg",
            ]
        )
        #expect(result.meta["sources"] == ["json-ld", "opengraph"])
    }

    @Test func readsAnHCard() async throws {
        let url = "https://people.example/ada"
        let web = FixtureWeb([url: .init(try Fixtures.bytes("profile-hcard.html"))])
        let result = try await LinkedInProfileWorker().run(["profile_url": .string(url)], context: context(fetcher: web))
        #expect(result.data["name"] == "Ada Lovelace")
        #expect(result.data["headline"] == "Analyst")
        #expect(result.data["current_company"] == "Analytical Engines Ltd")
        #expect(result.data["location"] == "London, United Kingdom")
        #expect(result.data["url"] == "https://people.example/people/ada")
    }

    @Test func aLoginWallFailsAsNotPublic() async throws {
        let url = "https://www.linkedin.com/in/someone"
        let web = FixtureWeb([url: .init(try Fixtures.bytes("login-wall.html"))])
        await #expect(
            throws: WorkerFailure(
                code: "profile_not_public",
                message: "\(url) publishes no public profile (no schema.org Person, hCard or OpenGraph profile); it may need a login."
            )
        ) {
            _ = try await LinkedInProfileWorker().run(["profile_url": .string(url)], context: context(fetcher: web))
        }
    }
}

@Suite struct PlacesSearchTests {
    static func web() throws -> FixtureWeb {
        FixtureWeb([
            "https://nominatim.openstreetmap.org/search": .init(try Fixtures.bytes("nominatim-search.json"), contentType: "application/json"),
            "https://overpass-api.de/api/interpreter": .init(try Fixtures.bytes("overpass-cafes.json"), contentType: "application/json"),
        ])
    }

    @Test func findsCoffeeInParisNearestFirst() async throws {
        let web = try Self.web()
        let report = WorkerReport()
        let result = try await PlacesSearchWorker().run(["query": "coffee in Paris", "max_items": 2], context: context(report: report, fetcher: web))
        #expect(result.items.map { $0["name"] } == ["Le Petit Pont", "Café Hôtel de Ville"])
        #expect(result.items.first?["osm_id"] == "node/1789524367")
        #expect(result.items.first?["category"] == "cafe")
        #expect(result.items.first?["website"] == "https://lepetitpont.example/")
        #expect(result.items[1]["address"] == "1 Rue de Rivoli")
        #expect((result.items.first?["distance_m"]?.integerValue ?? -1) < (result.items[1]["distance_m"]?.integerValue ?? -1))
        #expect(result.meta["total_found"] == 3, "the unnamed café is not a place to send anyone")
        #expect(report.current.events == 2)
        let overpass = try #require(web.requests.last)
        #expect(overpass.url.contains("amenity%22%3D%22cafe"), "coffee is amenity=cafe")
        #expect(overpass.url.contains("around%3A1000%2C48.8534951%2C2.3483915"))
        #expect(!overpass.honoursRobots, "an API is called, not crawled")
    }

    @Test func namesItsPlaceOrFails() async throws {
        await #expect(throws: WorkerFailure.self) {
            _ = try await PlacesSearchWorker().run(["query": "coffee"], context: context(fetcher: try Self.web()))
        }
        let query = try PlaceQuery(["query": "pharmacies", "near": "48.85, 2.35", "radius_m": 300])
        #expect(query.location == .coordinates(Coordinates(lat: 48.85, lon: 2.35)))
        #expect(query.kind.tags.map(\.value) == ["pharmacy"])
        #expect(PlaceKind("vegan ramen").nameSearch == "vegan ramen")
        #expect(Overpass.regexLiteral("a.b\"c") == "a\\\\.b\\\"c")
    }
}

@Suite struct HostileHTMLTests {
    @Test func deepNestingIsCutAt256LevelsWithoutCrashing() throws {
        let depth = 100_000
        var html = Array(
            "<html><head><title>deep</title><script type=\"application/ld+json\">{\"@type\":\"Apartment\",\"name\":\"Top\"}</script></head><body>"
                .utf8
        )
        html += Array(repeating: Array("<div>".utf8), count: depth).joined()
        html += Array("<a rel=\"next\" href=\"/never\">x</a>".utf8)
        html += Array(repeating: Array("</div>".utf8), count: depth).joined()
        let page = try WebPage.parse(html, url: "https://hostile.example/", charset: "utf-8")
        #expect(page.data.title == "deep")
        #expect(page.data.jsonLD.count == 1, "what comes before the depth limit is read")
        #expect(page.data.nextPage == nil, "what lies deeper than libxml2's limit is dropped")
    }

    @Test func hugeAttributesAndBrokenEncodingsAreRead() throws {
        var html = Array("<html><head><meta charset=\"utf-8\"><title>caf\u{e9}</title></head><body><div data-x=\"".utf8)
        html += [UInt8](repeating: UInt8(ascii: "a"), count: 5_000_000)
        html += Array("\">".utf8) + [0xFF, 0xFE, 0xC3, 0x28, 0x80] + Array("<a rel=next href=/p2>next</a></div></body></html>".utf8)
        let page = try WebPage.parse(html, url: "https://hostile.example/", charset: "utf-8")
        #expect(page.data.title?.hasPrefix("caf") == true)
        #expect(page.data.nextPage == "https://hostile.example/p2")
        // A charset libxml2 does not know is read as windows-1252, not refused.
        let latin = try WebPage.parse(
            Array("<title>caf".utf8) + [0xE9] + Array("</title>".utf8),
            url: "https://x.example/",
            charset: "x-unknown-charset"
        )
        #expect(latin.data.title == "café")
    }
}

@Suite struct PageTextTests {
    @Test func whiteSpaceCollapsesTheWayUnicodeDefinesIt() {
        #expect("  Appartement\u{A0}\u{A0}3 pièces\n\t Lyon\u{3000}".collapsingWhitespace == "Appartement 3 pièces Lyon")
        #expect(" \n\u{2003} ".collapsingWhitespace.isEmpty)
        #expect("a\u{200B}b".collapsingWhitespace == "a\u{200B}b", "a zero-width space is not white space")
        #expect("\r\n x ".trimmingASCIIWhitespace == "x")
    }

    @Test func pagesNameTheNextLinkInTheirLanguageOrByClass() throws {
        let html = Array(
            """
            <html><body><div class="card  vcard"><span class="fn">Jane</span></div>
            <nav><a href="/p/9">9</a><a class="pager__link" href="/p/2">
                  Page   suivante
            </a></nav></body></html>
            """.utf8
        )
        let page = try WebPage.parse(html, url: "https://x.example/p/1", charset: "utf-8")
        #expect(page.data.nextPage == "https://x.example/p/2")
        #expect(page.data.hCards.first?["name"] == "Jane", "class tokens split on any ASCII white space")
        let byClass = try WebPage.parse(
            Array("<a href='/a'>a</a><a class='btn pagination-next' href='/b'>Go</a>".utf8),
            url: "https://x.example/",
            charset: "utf-8"
        )
        #expect(byClass.data.nextPage == "https://x.example/b")
    }
}
