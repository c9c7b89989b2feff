import SeekCore

/// A worker's input schema as a form, and the posted form back as the job's input. Each top-level property is
/// a field by its type (text, number, checkbox, a choice for `enum`, JSON for arrays and objects); the worker's
/// schema is still what validates the input, through the API.
enum SchemaForm {
    enum Kind: String {
        case text, number, integer, checkbox, select, json
    }

    struct Field {
        var name: String
        var kind: Kind
        var required: Bool
        var description: String?
        var options: [String]
        var value: String

        var mustache: [String: Any] {
            var values: [String: Any] = [
                "name": name, "id": "field-" + name, "required": required, "value": value, kind.rawValue: true,
                "options": options.map { ["option": $0, "selected": $0 == value] },
                "step": kind == .integer ? "1" : "any", "checked": value == "true",
            ]
            if let description { values["description"] = description }
            return values
        }
    }

    /// The fields of `schema`'s top-level properties, filled from a posted form when it is shown again.
    static func fields(_ schema: JSONValue, form: FormBody? = nil) -> [Field] {
        let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        return (schema["properties"]?.objectValue ?? [:]).map { name, property in
            let kind = self.kind(property)
            let fallback = property["default"].map { value in
                kind == .json || kind == .checkbox || value.stringValue == nil ? value.serializedString : value.stringValue ?? ""
            }
            return Field(
                name: name,
                kind: kind,
                required: required.contains(name),
                description: property["description"]?.stringValue ?? property["title"]?.stringValue,
                options: (property["enum"]?.arrayValue ?? []).map { $0.stringValue ?? $0.serializedString },
                value: form.map { form in
                    // A checkbox posts a hidden "false" before its "true", so that unticked still says false.
                    kind == .checkbox ? String(form.values("input." + name).contains("true")) : form["input." + name] ?? ""
                } ?? fallback ?? ""
            )
        }
    }

    private static func kind(_ property: JSONValue) -> Kind {
        if property["enum"] != nil { return .select }
        let types = property["type"].map { $0.arrayValue ?? [$0] }?.compactMap(\.stringValue).filter { $0 != "null" } ?? []
        switch types.first {
        case "string": return .text
        case "integer": return .integer
        case "number": return .number
        case "boolean": return .checkbox
        default: return .json
        }
    }

    /// The input a posted form describes: its raw JSON when given, else its fields read by their types. An
    /// empty optional field is left out; a malformed number or JSON value is a 400 naming the field.
    static func input(_ schema: JSONValue, form: FormBody) throws(SeekError) -> JSONValue {
        if let raw = form["raw_input"], !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            do {
                return try JSONParser.parse(raw)
            } catch {
                throw SeekError(.badRequest, "The JSON input is not valid JSON: \(error.message).")
            }
        }
        var input: OrderedDictionaryOfJSON = [:]
        for field in fields(schema, form: form) {
            let text = form["input." + field.name] ?? ""
            if field.kind == .checkbox {
                if !form.values("input." + field.name).isEmpty || field.required { input[field.name] = .bool(field.value == "true") }
                continue
            }
            guard !text.isEmpty else { continue }
            switch field.kind {
            case .integer:
                guard let number = Int64(text) else { throw SeekError(.badRequest, "\(field.name) must be a whole number.") }
                input[field.name] = .integer(number)
            case .number:
                guard let number = Double(text) else { throw SeekError(.badRequest, "\(field.name) must be a number.") }
                input[field.name] = .double(number)
            case .json:
                do {
                    input[field.name] = try JSONParser.parse(text)
                } catch {
                    throw SeekError(.badRequest, "\(field.name) must be JSON: \(error.message).")
                }
            case .select:
                // The enum's own member, whatever its type; anything else goes as text for the schema to refuse.
                let members = schema["properties"]?[field.name]?["enum"]?.arrayValue ?? []
                input[field.name] = members.first { ($0.stringValue ?? $0.serializedString) == text } ?? .string(text)
            case .text, .checkbox:
                input[field.name] = .string(text)
            }
        }
        return .object(input)
    }
}
