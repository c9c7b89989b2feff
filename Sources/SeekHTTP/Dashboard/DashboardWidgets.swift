import SeekCore

/// A bar chart drawn on the server as SVG (no script, no image request): bars scaled to the largest value,
/// each with its label and value, readable by screen readers through the table the template adds.
struct BarChart {
    static let width = 640
    static let height = 180
    static let baseline = 150

    var title: String
    var bars: [(label: String, value: Int64)]

    var mustache: [String: Any] {
        let largest = max(bars.map(\.value).max() ?? 0, 1)
        let slot = bars.isEmpty ? 0 : Self.width / bars.count
        // A few bars stay bars, not blocks.
        let barWidth = min(max(slot - max(slot / 5, 1), 1), 48)
        let drawn = bars.enumerated().map { index, bar -> [String: Any] in
            let height = Int(Double(bar.value) / Double(largest) * Double(Self.baseline - 10))
            return [
                "x": index * slot, "y": Self.baseline - height, "width": barWidth, "height": height, "label": bar.label, "value": Int(bar.value),
                "labelX": index * slot + barWidth / 2, "labelY": Self.baseline + 16, "valueY": Self.baseline - height - 4,
                "charged": bar.value != 0, "showLabel": bars.count <= 16 || index % 5 == 0 || index == bars.count - 1,
            ]
        }
        return [
            "title": title, "bars": drawn, "empty": bars.allSatisfy { $0.value == 0 }, "width": Self.width, "height": Self.height,
            "baseline": Self.baseline,
        ]
    }
}

/// A list result's items as a table: columns are the items' keys in first-seen order (at most 12), cells are
/// the values as text (nested values as JSON).
struct ResultTable {
    static let maxColumns = 12
    static let maxRows = 200

    var columns: [String]
    var rows: [[String]]

    init?(_ items: [JSONValue]) {
        guard !items.isEmpty else { return nil }
        var columns: [String] = []
        for item in items.prefix(Self.maxRows) {
            for key in item.objectValue?.keys ?? [] where !columns.contains(key) && columns.count < Self.maxColumns { columns.append(key) }
        }
        if columns.isEmpty { columns = ["value"] }
        self.columns = columns
        rows = items.prefix(Self.maxRows).map { item in
            guard item.objectValue != nil else { return [Self.cell(item)] + Array(repeating: "", count: columns.count - 1) }
            return columns.map { item[$0].map(Self.cell) ?? "" }
        }
    }

    private static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case let .string(text): return text
        default: return value.serializedString
        }
    }

    var mustache: [String: Any] {
        ["columns": columns, "rows": rows.map { ["cells": $0] }]
    }
}

extension BarChart {
    /// Credits per day of `month` (`YYYY-MM`), every day up to `lastDay` drawn, with or without charges.
    static func days(_ month: String, lastDay: Int, charged: [JSONValue]) -> [(label: String, value: Int64)] {
        var credits: [String: Int64] = [:]
        for day in charged {
            if let date = day["date"]?.stringValue, date.hasPrefix(month) {
                credits[String(date.suffix(2)), default: 0] += day["credits"]?.integerValue ?? 0
            }
        }
        return (1...max(lastDay, 1)).map { day in
            let label = day < 10 ? "0\(day)" : "\(day)"
            return (label, credits[label] ?? 0)
        }
    }
}
