import Foundation
import Logging
import OrderedCollections
import SeekCore

/// One JSON object per line on stdout: time, level, message, label and the metadata (request_id…).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line: OrderedDictionaryOfJSON = [
            "time": .string(Timestamp.format(Date())), "level": .string(event.level.rawValue), "message": .string(event.message.description),
            "logger": .string(label),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            line[key] = .string(value.description)
        }
        if let error = event.error { line["error"] = .string(String(describing: error)) }
        var bytes = JSONValue.object(line).serialized
        bytes.append(0x0A)
        // One write(2) per line keeps lines from concurrent requests whole.
        bytes.withUnsafeBufferPointer { buffer in
            _ = write(STDOUT_FILENO, buffer.baseAddress, buffer.count)
        }
    }
}
