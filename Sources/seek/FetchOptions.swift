import ArgumentParser
import Foundation
import SeekCore
import SeekFetching
import SeekRuntime
import SeekWorkersWeb

/// How `serve` reaches other hosts: the SSRF guard (webhooks and fetches alike), the fetching layer's manners,
/// and the endpoints of the workers that read the web.
struct FetchOptions: ParsableArguments {
    @Flag(
        name: [.customLong("allow-private-network"), .customLong("allow-private-webhooks")],
        help:
            "Let webhooks and fetches reach loopback and private addresses, for tests and private networks (env SEEK_ALLOW_PRIVATE_NETWORK=1 or SEEK_ALLOW_PRIVATE_WEBHOOKS=1)."
    )
    var allowPrivateNetwork = false
    @Option(
        name: .customLong("allow-private-host"),
        help:
            "A private HOST:PORT reached while the guard is on, e.g. a self-hosted Nominatim; repeatable (env SEEK_ALLOW_PRIVATE_HOSTS, comma-separated). The endpoints below are allowed already."
    )
    var allowPrivateHosts: [String] = []
    @Option(name: .customLong("user-agent"), help: "The User-Agent of every fetch (env SEEK_USER_AGENT).") var userAgent: String?
    @Option(help: "on or off: obey robots.txt when workers crawl pages (env SEEK_ROBOTS, default on).") var robots: String?
    @Option(name: .customLong("fetch-delay-ms"), help: "Pause between two requests to one host (env SEEK_FETCH_DELAY_MS, default 1000).")
    var fetchDelayMs: Int?
    @Option(name: .customLong("fetch-host-concurrency"), help: "Requests in flight to one host (env SEEK_FETCH_HOST_CONCURRENCY, default 1).")
    var fetchHostConcurrency: Int?
    @Option(name: .customLong("fetch-timeout"), help: "Seconds one request may take (env SEEK_FETCH_TIMEOUT, default 30).") var fetchTimeout: Int?
    @Option(name: .customLong("fetch-max-bytes"), help: "The largest body read (env SEEK_FETCH_MAX_BYTES, default 10485760).")
    var fetchMaxBytes: Int?
    @Option(name: .customLong("fetch-retries"), help: "Retries after 429, 5xx or a broken connection (env SEEK_FETCH_RETRIES, default 3).")
    var fetchRetries: Int?
    @Option(
        name: .customLong("listing-source"),
        help:
            "A listings site's result page for real-estate-listings' city searches, with {city} in it; repeatable (env SEEK_LISTING_SOURCES, space-separated)."
    )
    var listingSources: [String] = []
    @Option(name: .customLong("nominatim-url"), help: "Nominatim for places-search (env SEEK_NOMINATIM_URL, default the public one).")
    var nominatimURL: String?
    @Option(name: .customLong("overpass-url"), help: "The Overpass API for places-search (env SEEK_OVERPASS_URL, default the public one).")
    var overpassURL: String?

    var places: PlacesSearchWorker.Configuration {
        var places = PlacesSearchWorker.Configuration()
        places.nominatimURL = (nominatimURL ?? Environment.value("SEEK_NOMINATIM_URL") ?? places.nominatimURL).trimmingSlash
        places.overpassURL = overpassURL ?? Environment.value("SEEK_OVERPASS_URL") ?? places.overpassURL
        return places
    }

    var listings: RealEstateListingsWorker.Configuration {
        var listings = RealEstateListingsWorker.Configuration()
        listings.sources =
            listingSources.isEmpty
            ? (Environment.value("SEEK_LISTING_SOURCES")?.split(whereSeparator: \.isWhitespace).map(String.init) ?? []) : listingSources
        return listings
    }

    func apply(to runtime: inout RuntimeConfiguration) throws {
        runtime.allowPrivateNetwork =
            allowPrivateNetwork
            || ["SEEK_ALLOW_PRIVATE_NETWORK", "SEEK_ALLOW_PRIVATE_WEBHOOKS"].contains {
                ["1", "true", "yes"].contains(Environment.value($0)?.lowercased() ?? "")
            }
        var fetching = FetchConfiguration()
        if let userAgent = userAgent ?? Environment.value("SEEK_USER_AGENT") {
            guard !userAgent.isEmpty, userAgent.count <= 200, userAgent.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
                throw ValidationError("--user-agent is 1 to 200 printable ASCII characters.")
            }
            fetching.userAgent = userAgent
        }
        if let robots = robots ?? Environment.value("SEEK_ROBOTS") {
            guard let honour = ["on": true, "off": false][robots.lowercased()] else { throw ValidationError("--robots is on or off.") }
            fetching.honourRobots = honour
        }
        if let delay = try Self.integer(fetchDelayMs, "SEEK_FETCH_DELAY_MS", in: 0...60_000, "--fetch-delay-ms") {
            fetching.hostDelay = .milliseconds(delay)
        }
        if let slots = try Self.integer(fetchHostConcurrency, "SEEK_FETCH_HOST_CONCURRENCY", in: 1...64, "--fetch-host-concurrency") {
            fetching.hostConcurrency = slots
        }
        if let timeout = try Self.integer(fetchTimeout, "SEEK_FETCH_TIMEOUT", in: 1...600, "--fetch-timeout") { fetching.timeout = .seconds(timeout) }
        if let bytes = try Self.integer(fetchMaxBytes, "SEEK_FETCH_MAX_BYTES", in: 1024...1_073_741_824, "--fetch-max-bytes") {
            fetching.maxBytes = bytes
        }
        if let retries = try Self.integer(fetchRetries, "SEEK_FETCH_RETRIES", in: 0...10, "--fetch-retries") { fetching.retries = retries }
        runtime.fetching = fetching

        let named =
            allowPrivateHosts
            + (Environment.value("SEEK_ALLOW_PRIVATE_HOSTS")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
        var trusted = Set<String>()
        for entry in named where !entry.isEmpty {
            guard let key = Self.hostKey(url: "http://" + entry), entry.contains(":") else {
                throw ValidationError("--allow-private-host takes HOST:PORT, not \(entry).")
            }
            trusted.insert(key)
        }
        // Endpoints the operator configured are reached wherever they are: naming one is the consent.
        let places = self.places
        for endpoint in [places.nominatimURL, places.overpassURL] + listings.sources.map({ $0.replacingOccurrences(of: "{city}", with: "x") }) {
            guard let key = Self.hostKey(url: endpoint) else {
                throw ValidationError("\(endpoint) is not an http(s) URL.")
            }
            trusted.insert(key)
        }
        runtime.trustedHosts = trusted
    }

    /// `host:port` as the guard reads it from the URL (`WebhookTarget`, the parse every hop gets).
    private static func hostKey(url: String) -> String? {
        guard let target = try? WebhookTarget(url: url) else { return nil }
        return AddressGuard.hostKey(host: target.host, port: target.port)
    }

    private static func integer(_ flag: Int?, _ variable: String, in range: ClosedRange<Int>, _ name: String) throws -> Int? {
        guard let value = try flag ?? Environment.value(variable).map({ try Serve.integer($0, variable) }) else { return nil }
        guard range.contains(value) else { throw ValidationError("\(name) is \(range.lowerBound) to \(range.upperBound).") }
        return value
    }
}

extension String {
    fileprivate var trimmingSlash: String { hasSuffix("/") ? String(dropLast()) : self }
}
