import Foundation
import SeekCore
import SeekWorkers

/// `real-estate-listings` (seed 001: "Search Criteria → Scraping → Structured Listing"): reads the listings of a
/// results page (`search_url`), or of the server's configured sources for a `city`, from the schema.org data the
/// pages publish (JSON-LD first, microdata next), following `rel=next` and the usual pagination links until
/// `max_items`. Billed per listing delivered, 1 credit each.
public struct RealEstateListingsWorker: Worker {
    public struct Configuration: Sendable {
        /// Result-page URL templates for `city` searches; `{city}` is replaced by the city, percent-encoded.
        public var sources: [String] = []
        /// Pages read per source at most, however many listings they hold.
        public var maxPages = 20

        public init() {}
    }

    public static let maxItems = 100

    public let manifest = WorkerManifest(
        id: "real-estate-listings",
        name: "Real estate listings",
        description:
            "Extracts property listings (title, price, city, surface, rooms, type, image) from a listings site's result pages, from the schema.org data they publish, following pagination. One credit per listing delivered.",
        version: "1.0.0",
        categories: ["real-estate", "scraping"],
        inputSchema: [
            "type": "object",
            "properties": [
                "search_url": ["type": "string", "minLength": 8, "maxLength": 4096, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"],
                "city": ["type": "string", "minLength": 1, "maxLength": 100],
                "max_items": ["type": "integer", "minimum": 1, "maximum": .integer(Int64(maxItems))],
                "min_price": ["type": "number", "minimum": 0],
                "max_price": ["type": "number", "minimum": 0],
                "property_type": ["type": "string", "minLength": 1, "maxLength": 50],
                "min_rooms": ["type": "number", "minimum": 0],
            ],
            "oneOf": [["required": ["search_url"]], ["required": ["city"]]],
            "additionalProperties": false,
        ],
        outputKind: .list,
        pricing: .perEvent(1, maxEvents: maxItems, event: "listing", eventCapInput: "max_items"),
        maxDurationSeconds: 300
    )

    private let configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        let scrapedAt = Date()
        let criteria = ListingCriteria(input)
        let starts = try startPages(input)
        var crawl = ListingCrawl(criteria: criteria, maxPages: configuration.maxPages)
        for (index, start) in starts.enumerated() where !crawl.isFull {
            do {
                try await crawl.read(from: start, context: context)
            } catch let failure as WorkerFailure where index > 0 || crawl.pagesRead > 0 {
                // What was read stands; the caller hears what could not be.
                context.warn("Stopped reading \(start): \(failure.message)")
            }
        }
        if crawl.unpricedCurrencies > 0, criteria.filtersPrice {
            context.warn("\(crawl.unpricedCurrencies) listings priced in another currency (or none) were left out by the euro price filter.")
        }
        context.recordEvents(crawl.listings.count)
        return .list(
            crawl.listings.map(\.json),
            meta: [
                "scraped_at": .string(Timestamp.format(scrapedAt)),
                "total_available": .integer(Int64(crawl.totalAvailable)),
                "ads_delivered": .integer(Int64(crawl.listings.count)),
            ]
        )
    }

    private func startPages(_ input: JSONValue) throws(WorkerFailure) -> [String] {
        if let url = input["search_url"]?.stringValue { return [url] }
        let city = input["city"]?.stringValue ?? ""
        guard !configuration.sources.isEmpty else {
            throw WorkerFailure(
                code: "no_sources",
                message: "This server has no listing sources for city searches; pass search_url, or ask the operator to set --listing-sources."
            )
        }
        let encoded = city.formEncoded
        return configuration.sources.map { $0.replacingOccurrences(of: "{city}", with: encoded) }
    }
}

/// The caller's filters. Prices are in euros: a listing priced otherwise cannot be compared, so a price filter
/// leaves it out. A filter on what a listing does not say (rooms, type) leaves it out too.
struct ListingCriteria {
    var maxItems: Int
    var minPrice: Double?
    var maxPrice: Double?
    var propertyType: String?
    var minRooms: Double?

    init(_ input: JSONValue) {
        maxItems = input["max_items"]?.integerValue.map(Int.init) ?? RealEstateListingsWorker.maxItems
        minPrice = input["min_price"]?.numberValue
        maxPrice = input["max_price"]?.numberValue
        propertyType = input["property_type"]?.stringValue?.lowercased()
        minRooms = input["min_rooms"]?.numberValue
    }

    var filtersPrice: Bool { minPrice != nil || maxPrice != nil }

    func accepts(_ listing: Listing) -> Bool {
        if filtersPrice {
            guard let price = listing.priceEUR else { return false }
            if let minPrice, price < minPrice { return false }
            if let maxPrice, price > maxPrice { return false }
        }
        if let propertyType, listing.propertyType != propertyType { return false }
        if let minRooms, (listing.rooms ?? -1) < minRooms { return false }
        return true
    }
}

/// The walk through result pages: listings deduplicated in page order, pages never read twice.
struct ListingCrawl {
    let criteria: ListingCriteria
    let maxPages: Int
    private(set) var listings: [Listing] = []
    private(set) var pagesRead = 0
    private(set) var unpricedCurrencies = 0
    private var seen: Set<String> = []
    private var visited: Set<String> = []
    /// Totals the sources state, summed; nil for a source that states none.
    private var statedTotal = 0
    private var matchedWithoutStatedTotal = 0

    init(criteria: ListingCriteria, maxPages: Int) {
        self.criteria = criteria
        self.maxPages = maxPages
    }

    var isFull: Bool { listings.count >= criteria.maxItems }

    /// What the search says it has (`numberOfItems`), else the matching listings found on the pages read.
    var totalAvailable: Int { max(statedTotal + matchedWithoutStatedTotal, listings.count) }

    mutating func read(from start: String, context: WorkerContext) async throws {
        var next: String? = start
        var sourceTotal: Int?
        var matched = 0
        var pages = 0
        while let url = next, !isFull, pages < maxPages, visited.insert(url).inserted {
            let page = try await WebPage.load(url, context: context)
            pages += 1
            pagesRead += 1
            visited.insert(page.url)
            let (pageListings, total) = ListingReader.read(page)
            if sourceTotal == nil { sourceTotal = total }
            for listing in pageListings where seen.insert(listing.key).inserted {
                guard criteria.accepts(listing) else {
                    if criteria.filtersPrice, listing.priceEUR == nil { unpricedCurrencies += 1 }
                    continue
                }
                matched += 1
                if !isFull { listings.append(listing) }
            }
            next = page.data.nextPage
        }
        if let sourceTotal, !criteria.filtersPrice, criteria.propertyType == nil, criteria.minRooms == nil {
            statedTotal += sourceTotal
        } else {
            matchedWithoutStatedTotal += matched
        }
    }
}
