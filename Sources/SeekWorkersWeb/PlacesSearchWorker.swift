import Foundation
import OrderedCollections
import SeekCore
import SeekHTML
import SeekWorkers

/// `places-search` (seed 000's `{"query": "coffee in Paris"}`): places of a kind near a place, from
/// OpenStreetMap: Nominatim turns the place into coordinates, the Overpass API finds what is around them.
/// Both endpoints are settings (a self-hosted instance for production); the public ones are used within their
/// usage policies: an identifying User-Agent, at most one request a second per host (the fetching layer's
/// politeness), and answers kept for a day. Billed per place, 1 credit each, capped by `max_items`.
public struct PlacesSearchWorker: Worker {
    public struct Configuration: Sendable {
        public var nominatimURL = "https://nominatim.openstreetmap.org"
        public var overpassURL = "https://overpass-api.de/api/interpreter"

        public init() {}
    }

    public static let maxItems = 50

    public let manifest = WorkerManifest(
        id: "places-search",
        name: "Places search",
        description:
            "Finds places (cafés, restaurants, pharmacies…) near a place, from OpenStreetMap: name, category, coordinates, address, opening hours, website, phone and distance. The query reads like \"coffee in Paris\"; near and radius_m refine it. One credit per place. Data © OpenStreetMap contributors, ODbL.",
        version: "1.0.0",
        categories: ["maps", "places"],
        inputSchema: [
            "type": "object",
            "required": ["query"],
            "properties": [
                "query": ["type": "string", "minLength": 1, "maxLength": 200],
                "near": ["type": "string", "minLength": 1, "maxLength": 200],
                "radius_m": ["type": "integer", "minimum": 10, "maximum": 50_000],
                "max_items": ["type": "integer", "minimum": 1, "maximum": .integer(Int64(maxItems))],
            ],
            "additionalProperties": false,
        ],
        outputKind: .list,
        pricing: .perEvent(1, maxEvents: maxItems, event: "place", eventCapInput: "max_items"),
        maxDurationSeconds: 120
    )

    private let configuration: Configuration
    private let geocodes = GeocodeCache()

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        let query = try PlaceQuery(input)
        let center = try await geocode(query.location, context: context)
        let url = configuration.overpassURL + "?data=" + Overpass.query(for: query.kind, around: center, radius: query.radius).formEncoded
        let response = try await context.fetch(FetchRequest(url: url, accept: "application/json", honoursRobots: false))
        guard let answer = try? JSONParser.parse(response.bytes), let elements = answer["elements"]?.arrayValue else {
            throw WorkerFailure(code: "upstream_error", message: "The Overpass API answered something other than its JSON.")
        }
        let found = elements.compactMap { Place(element: $0, kind: query.kind, from: center) }.sorted { $0.distance < $1.distance }
        let places = Array(found.prefix(query.maxItems))
        context.recordEvents(places.count)
        return .list(
            places.map(\.json),
            meta: [
                "query": .string(query.text),
                "center": ["lat": .double(center.lat), "lon": .double(center.lon), "name": .string(center.name)],
                "radius_m": .integer(Int64(query.radius)),
                "total_found": .integer(Int64(found.count)),
                "attribution": "Data © OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)",
            ]
        )
    }

    private func geocode(_ location: PlaceQuery.Location, context: WorkerContext) async throws -> Coordinates {
        switch location {
        case let .coordinates(point):
            return point
        case let .named(name):
            if let known = await geocodes[name] { return known }
            let url = configuration.nominatimURL + "/search?format=jsonv2&limit=1&q=" + name.formEncoded
            let response = try await context.fetch(FetchRequest(url: url, accept: "application/json", honoursRobots: false))
            guard let answer = try? JSONParser.parse(response.bytes), let list = answer.arrayValue else {
                throw WorkerFailure(code: "upstream_error", message: "Nominatim answered something other than its JSON.")
            }
            guard let first = list.first, let lat = first["lat"].flatMap(Self.degrees), let lon = first["lon"].flatMap(Self.degrees) else {
                throw WorkerFailure(code: "place_not_found", message: "OpenStreetMap knows no place called \(name).")
            }
            let point = Coordinates(lat: lat, lon: lon, name: first["display_name"]?.stringValue ?? name)
            await geocodes.keep(point, for: name)
            return point
        }
    }

    /// Nominatim writes coordinates as strings.
    static func degrees(_ value: JSONValue) -> Double? {
        value.numberValue ?? value.stringValue.flatMap(Double.init)
    }
}

struct Coordinates: Sendable, Equatable {
    var lat: Double
    var lon: Double
    var name: String?

    /// Metres along the earth's surface (haversine, mean radius).
    func distance(to other: Coordinates) -> Double {
        let radians = Double.pi / 180
        let dLat = (other.lat - lat) * radians
        let dLon = (other.lon - lon) * radians
        let a = sin(dLat / 2) * sin(dLat / 2) + cos(lat * radians) * cos(other.lat * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 6_371_008.8 * 2 * atan2(a.squareRoot(), (1 - a).squareRoot())
    }
}

/// Geocoded names, kept a day as Nominatim's usage policy asks; at most 10,000.
actor GeocodeCache {
    private var entries: [String: (point: Coordinates, kept: ContinuousClock.Instant)] = [:]

    subscript(name: String) -> Coordinates? {
        guard let entry = entries[name.lowercased()], ContinuousClock.now - entry.kept < .seconds(86_400) else { return nil }
        return entry.point
    }

    func keep(_ point: Coordinates, for name: String) {
        if entries.count >= 10_000 { entries.removeAll() }
        entries[name.lowercased()] = (point, .now)
    }
}

/// What the caller asks for: a kind of place ("coffee") and where ("in Paris", or `near`).
struct PlaceQuery {
    enum Location: Equatable {
        case named(String)
        case coordinates(Coordinates)
    }

    var text: String
    var kind: PlaceKind
    var location: Location
    var radius: Int
    var maxItems: Int

    init(_ input: JSONValue) throws(WorkerFailure) {
        text = (input["query"]?.stringValue ?? "").collapsingWhitespace
        radius = input["radius_m"]?.integerValue.map(Int.init) ?? 1000
        maxItems = input["max_items"]?.integerValue.map(Int.init) ?? PlacesSearchWorker.maxItems
        var what = text
        var whereText = input["near"]?.stringValue?.collapsingWhitespace
        // "coffee in Paris", "pharmacy near Gare du Nord": the last such word splits kind from place.
        let lower = text.lowercased()
        for separator in [" in ", " near ", " around ", " à ", " at "] {
            if let range = lower.range(of: separator, options: .backwards) {
                let offset = lower.distance(from: lower.startIndex, to: range.lowerBound)
                let start = text.index(text.startIndex, offsetBy: offset)
                let end = text.index(start, offsetBy: separator.count)
                what = String(text[..<start])
                if whereText == nil { whereText = String(text[end...]).collapsingWhitespace }
                break
            }
        }
        guard let whereText, !whereText.isEmpty else {
            throw WorkerFailure(code: "bad_input", message: "Say where: a query such as \"coffee in Paris\", or near.")
        }
        guard !what.collapsingWhitespace.isEmpty else { throw WorkerFailure(code: "bad_input", message: "Say what to find: \"coffee in Paris\".") }
        kind = PlaceKind(what.collapsingWhitespace)
        location = Self.coordinates(whereText).map(Location.coordinates) ?? .named(whereText)
    }

    /// "48.8566,2.3522" as coordinates.
    static func coordinates(_ text: String) -> Coordinates? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]), (-90...90).contains(lat), (-180...180).contains(lon) else {
            return nil
        }
        return Coordinates(lat: lat, lon: lon, name: nil)
    }
}

/// A kind of place as OpenStreetMap tags it, from the words people use; an unknown word searches names.
struct PlaceKind: Equatable {
    var tags: [(key: String, value: String)]
    /// The words, when the kind is a name search.
    var nameSearch: String?

    static func == (lhs: PlaceKind, rhs: PlaceKind) -> Bool {
        lhs.nameSearch == rhs.nameSearch && lhs.tags.map { "\($0.key)=\($0.value)" } == rhs.tags.map { "\($0.key)=\($0.value)" }
    }

    private static let words: [String: [(String, String)]] = [
        "coffee": [("amenity", "cafe")], "cafe": [("amenity", "cafe")], "café": [("amenity", "cafe")], "coffee shop": [("amenity", "cafe")],
        "restaurant": [("amenity", "restaurant")], "food": [("amenity", "restaurant"), ("amenity", "fast_food")],
        "fast food": [("amenity", "fast_food")], "bar": [("amenity", "bar")], "pub": [("amenity", "pub")],
        "beer": [("amenity", "pub"), ("amenity", "bar")],
        "pharmacy": [("amenity", "pharmacy")], "chemist": [("amenity", "pharmacy")], "hospital": [("amenity", "hospital")],
        "doctor": [("amenity", "doctors")], "dentist": [("amenity", "dentist")], "bank": [("amenity", "bank")], "atm": [("amenity", "atm")],
        "fuel": [("amenity", "fuel")], "gas station": [("amenity", "fuel")], "petrol station": [("amenity", "fuel")],
        "parking": [("amenity", "parking")], "library": [("amenity", "library")], "school": [("amenity", "school")],
        "cinema": [("amenity", "cinema")], "theatre": [("amenity", "theatre")], "theater": [("amenity", "theatre")],
        "post office": [("amenity", "post_office")], "ice cream": [("amenity", "ice_cream")], "toilet": [("amenity", "toilets")],
        "bakery": [("shop", "bakery")], "boulangerie": [("shop", "bakery")], "supermarket": [("shop", "supermarket")],
        "grocery": [("shop", "convenience"), ("shop", "supermarket")], "bookshop": [("shop", "books")], "bookstore": [("shop", "books")],
        "hairdresser": [("shop", "hairdresser")], "butcher": [("shop", "butcher")], "florist": [("shop", "florist")],
        "hotel": [("tourism", "hotel")], "hostel": [("tourism", "hostel")], "museum": [("tourism", "museum")],
        "gallery": [("tourism", "gallery")], "park": [("leisure", "park")], "playground": [("leisure", "playground")],
        "gym": [("leisure", "fitness_centre")], "swimming pool": [("leisure", "swimming_pool")],
    ]

    init(_ words: String) {
        let key = words.lowercased()
        // English plurals: pharmacies, churches, cafés.
        var forms = [key]
        if key.hasSuffix("ies") { forms.append(String(key.dropLast(3)) + "y") }
        if key.hasSuffix("es") { forms.append(String(key.dropLast(2))) }
        if key.hasSuffix("s") { forms.append(String(key.dropLast())) }
        if let tags = forms.lazy.compactMap({ Self.words[$0] }).first {
            self.tags = tags.map { (key: $0.0, value: $0.1) }
            nameSearch = nil
        } else {
            tags = []
            nameSearch = words
        }
    }
}

/// Overpass QL for the places of a kind within a circle, with ways and relations reduced to their centre.
enum Overpass {
    static func query(for kind: PlaceKind, around center: Coordinates, radius: Int) -> String {
        let circle = "(around:\(radius),\(center.lat),\(center.lon))"
        let filters: [String]
        if let name = kind.nameSearch {
            filters = ["[\"name\"~\"\(regexLiteral(name))\",i]"]
        } else {
            filters = kind.tags.map { "[\"\($0.key)\"=\"\($0.value)\"]" }
        }
        let unions = filters.map { "nwr\($0)\(circle);" }.joined()
        return "[out:json][timeout:25];(\(unions));out center tags 500;"
    }

    /// The words as a literal inside Overpass's quoted regular expression: metacharacters and quotes escaped.
    static func regexLiteral(_ words: String) -> String {
        var escaped = ""
        for character in words {
            if "\\^$.|?*+()[]{}".contains(character) {
                escaped += "\\\\" + String(character)
            } else if character == "\"" {
                escaped += "\\\""
            } else {
                escaped.append(character)
            }
        }
        return escaped
    }
}

/// One place of an Overpass answer.
struct Place {
    var name: String
    var category: String?
    var coordinates: Coordinates
    var address: String?
    var openingHours: String?
    var website: String?
    var phone: String?
    var osmID: String
    var distance: Double

    /// Nil for an element without a name or a position.
    init?(element: JSONValue, kind: PlaceKind, from center: Coordinates) {
        guard let tags = element["tags"]?.objectValue, let name = tags["name"]?.stringValue, !name.isEmpty,
            let type = element["type"]?.stringValue, let id = element["id"]?.integerValue
        else { return nil }
        let position = element["center"] ?? element
        guard let lat = position["lat"]?.numberValue, let lon = position["lon"]?.numberValue else { return nil }
        func tag(_ key: String) -> String? { tags[key]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        self.name = name
        category =
            kind.tags.first { tag($0.key) == $0.value }?.value
            ?? ["amenity", "shop", "tourism", "leisure", "craft", "office"].lazy.compactMap(tag).first
        coordinates = Coordinates(lat: lat, lon: lon, name: nil)
        let street = [tag("addr:housenumber"), tag("addr:street")].compactMap { $0 }.joined(separator: " ")
        let town = [tag("addr:postcode"), tag("addr:city")].compactMap { $0 }.joined(separator: " ")
        address = [street, town].filter { !$0.isEmpty }.joined(separator: ", ").nilIfEmpty ?? tag("addr:full")
        openingHours = tag("opening_hours")
        website = tag("website") ?? tag("contact:website") ?? tag("url")
        phone = tag("phone") ?? tag("contact:phone")
        osmID = "\(type)/\(id)"
        distance = center.distance(to: coordinates)
    }

    var json: JSONValue {
        [
            "name": .string(name), "category": .string(category), "lat": .double(coordinates.lat), "lon": .double(coordinates.lon),
            "address": .string(address), "opening_hours": .string(openingHours), "website": .string(website), "phone": .string(phone),
            "osm_id": .string(osmID), "distance_m": .integer(Int64(distance.rounded())),
        ]
    }
}

extension String {
    /// Percent-encoded for a query string value (RFC 3986 unreserved characters kept).
    var formEncoded: String {
        addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"))
            ?? self
    }
}
