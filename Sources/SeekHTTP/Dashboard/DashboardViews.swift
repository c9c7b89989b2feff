import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import SeekCore

/// The dashboard's templates (Resources/dashboard, compiled in) and how a page is answered.
struct DashboardViews: Sendable {
    let library: MustacheLibrary

    init() throws {
        let templates: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("login", PackageResources.login_mustache),
            ("signup", PackageResources.signup_mustache), ("welcome", PackageResources.welcome_mustache),
            ("overview", PackageResources.overview_mustache), ("keys", PackageResources.keys_mustache),
            ("key-created", PackageResources.key_created_mustache), ("key-revoke", PackageResources.key_revoke_mustache),
            ("webhooks", PackageResources.webhooks_mustache), ("jobs", PackageResources.jobs_mustache), ("job", PackageResources.job_mustache),
            ("marketplace", PackageResources.marketplace_mustache), ("worker", PackageResources.worker_mustache),
            ("my-workers", PackageResources.my_workers_mustache), ("billing", PackageResources.billing_mustache),
            ("chart", PackageResources.chart_mustache), ("message", PackageResources.message_mustache),
        ]
        var library = MustacheLibrary()
        for (name, bytes) in templates { try library.register(String(decoding: bytes, as: UTF8.self), named: name) }
        self.library = library
    }

    static let stylesheet = String(decoding: PackageResources.seek_css, as: UTF8.self)
    /// The small enhancements: copy buttons, and confirmations of destructive forms.
    static let script = String(decoding: PackageResources.seek_js, as: UTF8.self)

    /// The navigation, named as the seed names it ("Settings", and under it "API Keys").
    static let navigation: [(path: String, label: String, section: String)] = [
        ("/dashboard", "Overview", "overview"), ("/dashboard/jobs", "Jobs", "jobs"), ("/dashboard/marketplace", "Marketplace", "marketplace"),
        ("/dashboard/workers", "My workers", "workers"), ("/dashboard/billing", "Billing", "billing"),
    ]
    static let settings: [(path: String, label: String, section: String)] = [
        ("/dashboard/settings/api-keys", "API Keys", "api-keys"), ("/dashboard/settings/webhooks", "Webhooks", "webhooks"),
    ]

    /// A page of the signed-in dashboard: `template` inside the layout, with the viewer's navigation.
    func page(
        _ template: String,
        title: String,
        section: String,
        viewer: DashboardViewer,
        _ values: [String: Any] = [:],
        status: HTTPResponse.Status = .ok,
        refresh: Int? = nil
    ) -> Response {
        var context = values
        context["title"] = title
        context["signedIn"] = true
        context["csrf"] = viewer.csrfToken
        context["email"] = viewer.user.email
        context["workspaceName"] = viewer.workspace.name
        context["workspaces"] = viewer.memberships.map { membership -> [String: Any] in
            [
                "id": membership.workspaceID, "name": membership.workspaceName, "role": membership.role.rawValue,
                "current": membership.workspaceID == viewer.workspace.id,
            ]
        }
        context["manyWorkspaces"] = viewer.memberships.count > 1
        func links(_ items: [(path: String, label: String, section: String)]) -> [[String: Any]] {
            items.map { ["path": $0.path, "label": $0.label, "current": $0.section == section] }
        }
        context["nav"] = links(Self.navigation)
        context["settingsNav"] = links(Self.settings)
        context["inSettings"] = Self.settings.contains { $0.section == section }
        if let refresh { context["refresh"] = refresh }
        return html(template, context, status: status)
    }

    /// A page without the signed-in navigation (sign in, sign up, errors).
    func plain(_ template: String, title: String, _ values: [String: Any] = [:], status: HTTPResponse.Status = .ok) -> Response {
        var context = values
        context["title"] = title
        return html(template, context, status: status)
    }

    private func html(_ template: String, _ context: [String: Any], status: HTTPResponse.Status) -> Response {
        let body = library.render(context, withTemplate: template) ?? "template \(template) is missing"
        return Response(
            status: status,
            headers: Self.headers(contentType: "text/html; charset=utf-8"),
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// No caching of pages that show secrets, no framing, scripts and styles from this origin only.
    static func headers(contentType: String) -> HTTPFields {
        [
            .contentType: contentType, .cacheControl: "no-store",
            HTTPField.Name("Content-Security-Policy")!:
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin",
        ]
    }

    /// 303 See Other: where a form's POST sends the browser, so that reloading does not post twice.
    static func seeOther(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }
}

extension JSONValue {
    /// The value as templates read it: objects as dictionaries (null members left out, so a section on them is
    /// false), arrays as arrays, scalars as themselves.
    var mustache: Any {
        switch self {
        case .null: return ""
        case let .bool(value): return value
        case let .integer(value): return Int(value)
        case let .double(value): return value
        case let .string(value): return value
        case let .array(values): return values.map(\.mustache)
        case let .object(members):
            var dictionary: [String: Any] = [:]
            for (key, value) in members where value != .null { dictionary[key] = value.mustache }
            return dictionary
        }
    }

    /// Indented JSON, for people to read.
    var pretty: String {
        var out = ""
        func write(_ value: JSONValue, indent: String) {
            switch value {
            case let .array(values) where !values.isEmpty:
                out += "[\n"
                for (index, member) in values.enumerated() {
                    out += indent + "  "
                    write(member, indent: indent + "  ")
                    out += index < values.count - 1 ? ",\n" : "\n"
                }
                out += indent + "]"
            case let .object(members) where !members.isEmpty:
                out += "{\n"
                for (index, (key, member)) in members.enumerated() {
                    out += indent + "  " + JSONValue.string(key).serializedString + ": "
                    write(member, indent: indent + "  ")
                    out += index < members.count - 1 ? ",\n" : "\n"
                }
                out += indent + "}"
            default:
                out += value.serializedString
            }
        }
        write(self, indent: "")
        return out
    }
}
