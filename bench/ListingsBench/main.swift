import Foundation
import SeekFetching
import SeekWorkersWeb

// A benchmark, not a test: listing pages read per second as real-estate-listings reads them (charset detection,
// libxml2's parse, JSON-LD and microdata, listings, next page). bench/listings.py runs lxml on the same files.
// Usage: listings-bench COUNT FILE… (the files read in turn, COUNT pages in all; COUNT 1 for a peak-memory run)
let arguments = CommandLine.arguments.dropFirst()
guard let count = arguments.first.flatMap({ Int($0) }), count > 0, arguments.count > 1 else {
    FileHandle.standardError.write(Data("usage: listings-bench COUNT FILE…\n".utf8))
    exit(2)
}
/// A file's bytes read straight into the array the worker would hold (through Data, the peak would count two copies).
func contents(of path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { return [] }
    defer { fclose(file) }
    fseek(file, 0, SEEK_END)
    let size = ftell(file)
    fseek(file, 0, SEEK_SET)
    return [UInt8](unsafeUninitializedCapacity: max(size, 0)) { buffer, count in count = fread(buffer.baseAddress, 1, max(size, 0), file) }
}

let pages = arguments.dropFirst().map { path in
    (url: "https://listings.example/" + (path as NSString).lastPathComponent, bytes: contents(of: path))
}

func read(_ page: (url: String, bytes: [UInt8])) -> Int {
    let charset = Charset.detect(page.bytes, contentType: "text/html")
    return (try? ListingsPage.read(page.bytes, url: page.url, charset: charset))?.items.count ?? -1
}

// The items of each page once, so the script can check both sides found the same listings.
let itemsPerPage = pages.map(read)
let clock = ContinuousClock()
let start = clock.now
var items = 0
for index in 0..<count { items += read(pages[index % pages.count]) }
let seconds = (clock.now - start) / .seconds(1)
// The process's own peak resident memory (a child's rusage would also count the parent it was forked from).
let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { $0.split(separator: " ").dropFirst().first } ?? "0"
print("{\"pages\": \(count), \"items\": \(items), \"items_per_page\": \(itemsPerPage), \"seconds\": \(seconds), \"peak_kib\": \(peak)}")
