import Foundation
import OrderedCollections
import SeekCore
import SeekHTML
import SeekWorkers

/// `linkedin-profile` (seed 000): what a public profile page publishes about its person, as JSON-LD `Person`,
/// hCard and OpenGraph (that order of trust): name, headline, location, current company, experience, education,
/// url. A page that publishes none of them (a login wall) fails the job as `profile_not_public`, which costs
/// nothing. Billed per run, 5 credits (seed 000's estimate).
public struct LinkedInProfileWorker: Worker {
    public let manifest = WorkerManifest(
        id: "linkedin-profile",
        name: "LinkedIn profile",
        description:
            "Reads a public profile page (LinkedIn's, or any page that publishes a schema.org Person, an hCard or OpenGraph profile tags): name, headline, location, current company, experience, education. A page behind a login wall fails as profile_not_public and costs nothing.",
        version: "1.0.0",
        categories: ["people", "scraping"],
        inputSchema: [
            "type": "object",
            "required": ["profile_url"],
            "properties": [
                "profile_url": ["type": "string", "minLength": 8, "maxLength": 2048, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"]
            ],
            "additionalProperties": false,
        ],
        outputKind: .object,
        pricing: .perRun(5),
        maxDurationSeconds: 60
    )

    public init() {}

    public func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        let url = input["profile_url"]?.stringValue ?? ""
        let scrapedAt = Date()
        let page = try await WebPage.load(url, context: context)
        guard let profile = Profile(page) else {
            throw WorkerFailure(
                code: "profile_not_public",
                message: "\(url) publishes no public profile (no schema.org Person, hCard or OpenGraph profile); it may need a login."
            )
        }
        return .object(
            profile.json,
            meta: ["scraped_at": .string(Timestamp.format(scrapedAt)), "sources": .array(profile.sources.map(JSONValue.string))]
        )
    }
}

/// A person as a profile page describes them.
struct Profile {
    struct Position {
        var title: String?
        var company: String?
        var start: String?
        var end: String?
    }

    struct Study {
        var school: String?
        var degree: String?
        var start: String?
        var end: String?
    }

    var name: String?
    var headline: String?
    var location: String?
    var currentCompany: String?
    var experience: [Position] = []
    var education: [Study] = []
    var url: String
    var imageURL: String?
    /// Which of json-ld, hcard and opengraph said something.
    var sources: [String] = []

    /// Nil when the page publishes no person.
    init?(_ page: WebPage) {
        url = page.url
        let data = page.data
        if let person = Self.person(in: data.jsonLD) {
            sources.append("json-ld")
            read(person: person, base: page.url)
        }
        if let card = data.hCards.first(where: { $0["name"] != nil }) {
            sources.append("hcard")
            name = name ?? card["name"]
            headline = headline ?? card["job_title"] ?? card["role"] ?? card["note"]
            currentCompany = currentCompany ?? card["org"]
            location = location ?? [card["locality"], card["region"], card["country"]].compactMap { $0 }.joined(separator: ", ").nilIfEmpty
            if let link = card["url"], let absolute = URL(string: link, relativeTo: URL(string: page.url))?.absoluteString, sources == ["hcard"] {
                url = absolute
            }
            imageURL = imageURL ?? card["photo"]
        }
        if Self.isOpenGraphProfile(data.meta) {
            sources.append("opengraph")
            readOpenGraph(data.meta)
        }
        guard name != nil else { return nil }
    }

    /// The page's Person: a node of that type, or a `ProfilePage`'s `mainEntity`.
    static func person(in nodes: [JSONValue]) -> JSONValue? {
        for node in nodes {
            if SchemaOrg.isA(node, ["Person"]) { return node }
            for key in ["mainEntity", "about"] {
                if let inner = SchemaOrg.first(node[key]), SchemaOrg.isA(inner, ["Person"]) { return inner }
            }
        }
        return nil
    }

    private mutating func read(person: JSONValue, base: String) {
        name =
            SchemaOrg.text(person["name"])
            ?? [SchemaOrg.text(person["givenName"]), SchemaOrg.text(person["familyName"])].compactMap { $0 }.joined(separator: " ").nilIfEmpty
        headline = SchemaOrg.text(person["jobTitle"]) ?? SchemaOrg.text(person["description"])
        location = Self.place(person["address"]) ?? Self.place(person["homeLocation"]) ?? Self.place(person["workLocation"])
        if let link = SchemaOrg.url(person["url"], base: base) ?? SchemaOrg.url(person["sameAs"], base: base) { url = link }
        imageURL = SchemaOrg.url(person["image"], base: base)
        for (index, employer) in SchemaOrg.all(person["worksFor"]).enumerated() {
            let role = SchemaOrg.first(employer["member"]) ?? employer
            let position = Position(
                title: SchemaOrg.text(role["roleName"]) ?? (index == 0 ? SchemaOrg.text(person["jobTitle"]) : nil),
                company: SchemaOrg.text(employer["name"]) ?? SchemaOrg.text(employer),
                start: SchemaOrg.text(role["startDate"]),
                end: SchemaOrg.text(role["endDate"])
            )
            experience.append(position)
        }
        // The current company: a position without an end, else the first listed.
        currentCompany = (experience.first { $0.end == nil } ?? experience.first)?.company
        for school in SchemaOrg.all(person["alumniOf"]) {
            let role = SchemaOrg.first(school["member"]) ?? school
            education.append(
                Study(
                    school: SchemaOrg.text(school["name"]) ?? SchemaOrg.text(school),
                    degree: SchemaOrg.text(role["roleName"]) ?? SchemaOrg.text(role["educationalCredentialAwarded"]),
                    start: SchemaOrg.text(role["startDate"]),
                    end: SchemaOrg.text(role["endDate"])
                )
            )
        }
    }

    /// A place as text: a string, or a `PostalAddress`'s locality, region and country, or a `Place`'s name.
    static func place(_ value: JSONValue?) -> String? {
        guard let value = SchemaOrg.first(value) else { return nil }
        if let text = value.stringValue { return text.collapsingWhitespace.nilIfEmpty }
        let address = SchemaOrg.first(value["address"]) ?? value
        let parts = ["addressLocality", "addressRegion", "addressCountry"].compactMap { SchemaOrg.text(address[$0]) }
        return parts.isEmpty ? SchemaOrg.text(value["name"]) : parts.joined(separator: ", ")
    }

    /// OpenGraph speaks for a person only on a `profile` page (a login page is `website`).
    static func isOpenGraphProfile(_ meta: [String: String]) -> Bool {
        meta["og:type"]?.lowercased() == "profile" || meta["profile:first_name"] != nil || meta["profile:last_name"] != nil
    }

    private mutating func readOpenGraph(_ meta: [String: String]) {
        let given = [meta["profile:first_name"], meta["profile:last_name"]].compactMap { $0 }.joined(separator: " ").nilIfEmpty
        // "Jane Doe - Staff Engineer - Acme | LinkedIn": the name, then the headline, before the site's name.
        let titleParts =
            (meta["og:title"] ?? "").split(separator: "|").first.map { String($0).components(separatedBy: " - ").map(\.collapsingWhitespace) } ?? []
        name = name ?? given ?? titleParts.first?.nilIfEmpty
        headline = headline ?? (titleParts.count > 1 ? titleParts.dropFirst().joined(separator: " - ") : meta["og:description"]?.collapsingWhitespace)
        if sources == ["opengraph"], let link = meta["og:url"], URL(string: link)?.scheme?.hasPrefix("http") == true { url = link }
        imageURL = imageURL ?? meta["og:image"]
    }

    var json: JSONValue {
        var object: OrderedDictionary<String, JSONValue> = [
            "name": .string(name), "headline": .string(headline), "location": .string(location), "current_company": .string(currentCompany),
            "experience": .array(
                experience.map { ["title": .string($0.title), "company": .string($0.company), "start": .string($0.start), "end": .string($0.end)] }
            ),
            "education": .array(
                education.map { ["school": .string($0.school), "degree": .string($0.degree), "start": .string($0.start), "end": .string($0.end)] }
            ),
            "url": .string(url),
        ]
        if let imageURL { object["image_url"] = .string(imageURL) }
        return .object(object)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
