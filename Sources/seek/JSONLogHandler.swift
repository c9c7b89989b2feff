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

    func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata explicit: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line _: UInt
    ) {
        var line: OrderedDictionaryOfJSON = [
            "time": .string(Timestamp.format(Date())), "level": .string(level.rawValue), "message": .string(message.description),
            "logger": .string(label),
        ]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { _, new in new }) {
            line[key] = .string(value.description)
        }
        var bytes = JSONValue.object(line).serialized
        bytes.append(0x0A)
        // One write(2) per line keeps lines from concurrent requests whole.
        bytes.withUnsafeBufferPointer { buffer in
            _ = write(STDOUT_FILENO, buffer.baseAddress, buffer.count)
        }
    }
}
