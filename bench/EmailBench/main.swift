import Foundation
import SeekWorkersEmail

// A benchmark, not a test: addresses syntax-checked per second (bench/email_syntax.py compares it with PyPI's
// email-validator on the same list). Usage: email-bench FILE (one address per line).
guard CommandLine.arguments.count > 1, let text = try? String(contentsOfFile: CommandLine.arguments[1], encoding: .utf8) else {
    FileHandle.standardError.write(Data("usage: email-bench FILE\n".utf8))
    exit(2)
}
let addresses = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
var valid = 0
for address in addresses.prefix(1000) { _ = EmailAddress.parse(address) }  // warm-up
let clock = ContinuousClock()
let start = clock.now
for address in addresses { if case .success = EmailAddress.parse(address) { valid += 1 } }
let seconds = (clock.now - start) / .seconds(1)
print("{\"addresses\": \(addresses.count), \"valid\": \(valid), \"seconds\": \(seconds)}")
