import SeekCore
import SeekHTML
import SeekWorkers

/// A page fetched through the runtime's fetching layer (guard, robots.txt, politeness) and parsed by libxml2.
struct WebPage {
    let url: String
    let data: PageData

    static func load(_ url: String, context: WorkerContext) async throws -> WebPage {
        let response = try await context.fetch(.page(url))
        let type = response.contentType.lowercased()
        guard type.isEmpty || type.contains("html") || type.contains("xml") || type.hasPrefix("text/") else {
            throw WorkerFailure(code: "not_html", message: "\(url) is \(response.contentType), not an HTML page.")
        }
        return try parse(response.bytes, url: response.url, charset: response.charset)
    }

    static func parse(_ bytes: [UInt8], url: String, charset: String) throws(WorkerFailure) -> WebPage {
        do {
            let document = try HTMLDocument(bytes: bytes, url: url, charset: charset)
            return WebPage(url: url, data: PageData(document))
        } catch {
            throw WorkerFailure(code: "not_html", message: "\(url) could not be read as HTML: \(error.message).")
        }
    }
}
