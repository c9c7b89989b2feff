import Foundation

/// What a stored file may be called and typed as: a name that is safe in a download header and on any
/// disk, and a media type that is one.
public enum FileName {
    /// The last path component, without control characters or quotes, at most 255 bytes; "file" if nothing
    /// is left.
    public static func sanitized(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var kept = String(last.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != ";" }.map(Character.init))
        while kept.utf8.count > 255 { kept.removeLast() }
        kept = kept.trimmingCharacters(in: .whitespaces)
        return kept.isEmpty || kept == "." || kept == ".." ? "file" : kept
    }

    /// `type/subtype` (parameters kept), or `application/octet-stream` for anything else.
    public static func contentType(_ value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let parts = type.split(separator: "/", omittingEmptySubsequences: false)
        let token: (Substring) -> Bool = { part in
            !part.isEmpty && part.count <= 127 && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$&-^_.+".contains($0)) }
        }
        guard parts.count == 2, token(parts[0]), token(parts[1]), value.count <= 255, value.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
            return "application/octet-stream"
        }
        return value
    }
}
