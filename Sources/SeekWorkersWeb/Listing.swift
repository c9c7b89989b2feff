import Foundation
import OrderedCollections
import SeekCore
import SeekHTML
import SeekWorkers

/// One property for sale or rent, as a results page describes it.
struct Listing: Equatable {
    var id: Int64
    var title: String?
    var price: Double?
    /// ISO 4217, uppercase; nil when the page does not say.
    var currency: String?
    var city: String?
    var url: String?
    var surfaceM2: Double?
    var rooms: Double?
    var propertyType: String?
    var imageURL: String?

    /// The price in euros, only when the page says euros: a price in another currency (or in none) is never
    /// passed off as euros.
    var priceEUR: Double? { currency == "EUR" ? price : nil }

    /// The item in seed 001's shape: `id`, `title`, `price_eur`, `location_city` always; the rest when known.
    /// A price in another currency comes as `price` and `price_currency`, with `price_eur` null.
    var json: JSONValue {
        var item: OrderedDictionary<String, JSONValue> = [
            "id": .integer(id), "title": .string(title), "price_eur": Self.number(priceEUR), "location_city": .string(city),
        ]
        if let price, currency != "EUR" {
            item["price"] = Self.number(price)
            item["price_currency"] = .string(currency)
        }
        if let url { item["url"] = .string(url) }
        if let surfaceM2 { item["surface_m2"] = Self.number(surfaceM2) }
        if let rooms { item["rooms"] = Self.number(rooms) }
        if let propertyType { item["property_type"] = .string(propertyType) }
        if let imageURL { item["image_url"] = .string(imageURL) }
        return .object(item)
    }

    /// Whole numbers as integers (seed 001's `"price_eur": 320000`), others with two decimals at most.
    static func number(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        if value.rounded() == value, abs(value) < 9e15 { return .integer(Int64(value)) }
        return .double((value * 100).rounded() / 100)
    }

    /// What deduplicates listings across pages: the URL, else the id.
    var key: String { url.map { "url:" + $0 } ?? "id:\(id)" }
}

/// Finds listings among a page's structured data: JSON-LD first, microdata next (the same reader serves both,
/// microdata being read into JSON-LD's shape). Listings hide in `ItemList`s, `SearchResultsPage`s, `@graph`s
/// and `Offer`s around the property; each of the schema.org types below counts as one.
enum ListingReader {
    static let listingTypes: Set<String> = [
        "RealEstateListing", "Offer", "Product", "Residence", "Apartment", "SingleFamilyResidence", "House", "Accommodation",
    ]
    private static let containers: Set<String> = ["ItemList", "SearchResultsPage", "CollectionPage", "WebPage", "OfferCatalog"]

    /// The listings of `nodes`, and the total the page says its search has (`ItemList.numberOfItems`).
    static func read(_ nodes: [JSONValue], base: String) -> (listings: [Listing], total: Int?) {
        var listings: [Listing] = []
        var total: Int?
        for node in nodes { visit(node, base: base, depth: 0, into: &listings, total: &total) }
        return (listings, total)
    }

    /// A page's listings: JSON-LD's, else microdata's (only when the page's JSON-LD holds none), with the total
    /// either states.
    static func read(_ page: WebPage) -> (listings: [Listing], total: Int?) {
        let found = read(page.data.jsonLD, base: page.url)
        guard found.listings.isEmpty else { return found }
        let microdata = read(page.data.microdata, base: page.url)
        return (microdata.listings, microdata.total ?? found.total)
    }

    private static func visit(_ node: JSONValue, base: String, depth: Int, into listings: inout [Listing], total: inout Int?) {
        guard depth < 8, node.objectValue != nil else {
            for member in node.arrayValue ?? [] { visit(member, base: base, depth: depth + 1, into: &listings, total: &total) }
            return
        }
        if SchemaOrg.isA(node, containers) || node["itemListElement"] != nil {
            if total == nil, let count = SchemaOrg.number(node["numberOfItems"]), count >= 0 { total = Int(count) }
            for key in ["itemListElement", "mainEntity", "about", "hasPart", "itemOffered"] {
                for member in SchemaOrg.all(node[key]) {
                    // A ListItem wraps its thing in `item`.
                    visit(member["item"] ?? member, base: base, depth: depth + 1, into: &listings, total: &total)
                }
            }
            return
        }
        if SchemaOrg.isA(node, listingTypes), let listing = listing(node, base: base) { listings.append(listing) }
    }

    /// A listing from its node, when it names at least a title or a price.
    static func listing(_ node: JSONValue, base: String) -> Listing? {
        // The property and its offer, whichever wraps the other.
        let isOffer = SchemaOrg.isA(node, ["Offer"])
        let thing = isOffer ? (SchemaOrg.first(node["itemOffered"]) ?? node) : node
        let offer = isOffer ? node : (SchemaOrg.first(node["offers"]) ?? .null)
        // RealEstateListing describes its property under `about` or `mainEntity`.
        let places = [thing, SchemaOrg.first(thing["about"]), SchemaOrg.first(thing["mainEntity"]), SchemaOrg.first(offer["itemOffered"])]
            .compactMap { $0 }
        func lookup(_ key: String) -> JSONValue? { places.lazy.compactMap { $0[key] }.first { $0 != .null } }

        let title = SchemaOrg.text(node["name"]) ?? SchemaOrg.text(lookup("name")) ?? SchemaOrg.text(node["headline"])
        let priceNode =
            offer["price"] ?? offer["priceSpecification"]?["price"] ?? SchemaOrg.first(offer["priceSpecification"])?["price"] ?? offer["lowPrice"]
            ?? node["price"]
        let price = SchemaOrg.number(priceNode)
        guard title != nil || price != nil else { return nil }
        let currency =
            (SchemaOrg.text(offer["priceCurrency"]) ?? SchemaOrg.text(SchemaOrg.first(offer["priceSpecification"])?["priceCurrency"])
            ?? SchemaOrg.text(node["priceCurrency"]))?.uppercased()
        let url = SchemaOrg.url(node["url"], base: base) ?? SchemaOrg.url(thing["url"], base: base) ?? SchemaOrg.url(offer["url"], base: base)
        let address = lookup("address") ?? SchemaOrg.first(offer["availableAtOrFrom"])?["address"]
        let city = SchemaOrg.text(SchemaOrg.first(address)?["addressLocality"]) ?? address?.stringValue?.collapsingWhitespace.nilIfEmpty
        var listing = Listing(
            id: 0,
            title: title,
            price: price,
            currency: currency,
            city: city,
            url: url,
            surfaceM2: surface(lookup("floorSize")),
            rooms: SchemaOrg.number(lookup("numberOfRooms")),
            propertyType: propertyType(places + [node]),
            imageURL: SchemaOrg.url(lookup("image") ?? node["image"], base: base)
        )
        listing.id = identifier(node, thing: thing, listing: listing)
        return listing
    }

    /// m², from a `QuantitativeValue` in m² (`MTK`) or square feet (`FTK`, converted), or a bare number.
    static func surface(_ value: JSONValue?) -> Double? {
        guard let value = SchemaOrg.first(value), let number = SchemaOrg.number(value), number > 0 else { return nil }
        let unit = (value["unitCode"]?.stringValue ?? value["unitText"]?.stringValue ?? "").lowercased()
        if unit == "ftk" || unit.contains("ft") || unit.contains("sq") && !unit.contains("m") {
            return (number * 0.09290304 * 10).rounded() / 10
        }
        return number
    }

    /// apartment, house, or the page's own word (`additionalType`, `category`) for what it sells.
    static func propertyType(_ nodes: [JSONValue]) -> String? {
        let types = nodes.flatMap(SchemaOrg.types)
        if types.contains("Apartment") { return "apartment" }
        if types.contains("SingleFamilyResidence") || types.contains("House") { return "house" }
        for node in nodes {
            for key in ["additionalType", "category"] {
                if let word = SchemaOrg.text(node[key]) {
                    return String(word.split(separator: "/").last ?? Substring(word)).lowercased()
                }
            }
        }
        return nil
    }

    /// The listing's number as its site gives it (`identifier`, `productID`, `sku`, or the longest run of digits
    /// in its URL's path), else a stable hash of what identifies it, below 2^53 so every JSON reader keeps it exact.
    static func identifier(_ node: JSONValue, thing: JSONValue, listing: Listing) -> Int64 {
        for key in ["identifier", "productID", "sku"] {
            for candidate in [node[key], thing[key]] {
                if let text = SchemaOrg.text(candidate), let number = Int64(text), number > 0, number < 1 << 53 { return number }
            }
        }
        if let path = listing.url.flatMap({ URL(string: $0)?.path }) {
            let runs = path.split(whereSeparator: { !$0.isASCII || !$0.isNumber }).filter { $0.count >= 4 && $0.count <= 15 }
            if let longest = runs.max(by: { $0.count < $1.count }), let number = Int64(String(longest)), number > 0 { return number }
        }
        let seed = listing.url ?? "\(listing.title ?? "")|\(listing.price ?? 0)|\(listing.city ?? "")"
        return Int64(FNV1a.hash(seed) & ((1 << 53) - 1))
    }
}

/// FNV-1a, 64 bits: a stable hash (Swift's `Hasher` is seeded per process).
enum FNV1a {
    static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// A results page read as real-estate-listings reads each page it fetches (libxml2's parse, structured data,
/// listings, the next page), from bytes already in hand: bench/ListingsBench times it against lxml.
public enum ListingsPage {
    public static func read(_ bytes: [UInt8], url: String, charset: String) throws(WorkerFailure) -> (items: [JSONValue], nextPage: String?) {
        let page = try WebPage.parse(bytes, url: url, charset: charset)
        return (ListingReader.read(page).listings.map(\.json), page.data.nextPage)
    }
}
