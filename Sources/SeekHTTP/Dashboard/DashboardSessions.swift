import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import SeekCore
import SeekStore
import Synchronization

/// The person behind a dashboard request: signed in, in one of their workspaces.
struct DashboardViewer: Sendable {
    var user: DashboardUser
    var session: DashboardSession
    var memberships: [Membership]
    var workspace: Workspace
    /// The token every form of this session carries.
    var csrfToken: String
}

/// Browser sessions: the cookie, the viewer it stands for, and the checks that keep other sites from using it.
struct DashboardSessions: Sendable {
    /// `__Host-`: the browser keeps it only if it is `Secure`, has `Path=/` and no `Domain`, so no subdomain
    /// can set or read it.
    static let cookieName = "__Host-seek_session"

    let store: any SeekStore
    /// Signs the forms' CSRF tokens.
    let formKey: SymmetricKey
    let now: @Sendable () -> Date

    /// The viewer of a request whose cookie names a live session; nil otherwise (no cookie, unknown, expired,
    /// logged out, or no longer a member of the session's workspace).
    func viewer(of request: Request) async throws -> DashboardViewer? {
        guard let token = Self.cookie(Self.cookieName, in: request) else { return nil }
        let hash = Secrets.hashAPIKey(token)
        guard let session = try await store.session(tokenHash: hash, now: now()),
            let user = try await store.user(id: session.userID),
            let workspace = try await store.workspace(id: session.workspaceID)
        else { return nil }
        return DashboardViewer(
            user: user,
            session: session,
            memberships: try await store.memberships(userID: user.id),
            workspace: workspace,
            csrfToken: formToken(binding: "session|" + hash)
        )
    }

    /// Starts a session with a fresh token (a session id is never carried over from before sign-in) and
    /// returns its `Set-Cookie`.
    func start(userID: String, workspaceID: String) async throws -> String {
        let (session, token) = DashboardSession.start(userID: userID, workspaceID: workspaceID, now: now())
        try await store.createSession(session)
        return "\(Self.cookieName)=\(token); Path=/; Max-Age=\(Int(DashboardSession.lifetime)); Secure; HttpOnly; SameSite=Lax"
    }

    /// Ends the request's session, if any, and returns the `Set-Cookie` that clears it.
    func end(_ request: Request) async throws -> String {
        if let token = Self.cookie(Self.cookieName, in: request) { try await store.deleteSession(tokenHash: Secrets.hashAPIKey(token)) }
        return "\(Self.cookieName)=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
    }

    // MARK: Cross-site requests

    /// The token of the forms a signed-out browser sees (sign in, sign up): bound to the day, accepted for two.
    func anonymousToken() -> String { formToken(binding: "anonymous|\(Self.day(now()))") }

    /// Refuses (403) a form posted from another site: by `Sec-Fetch-Site` or `Origin` where the browser sends
    /// them, and always by the form's token, which another site cannot read.
    func checkForm(_ request: Request, form: FormBody, viewer: DashboardViewer?) throws {
        if let site = request.headers[Self.secFetchSite], site != "same-origin", site != "none" {
            throw SeekError(.forbidden, "This form was sent from another site.")
        }
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            guard origin == "http://\(host)" || origin == "https://\(host)" else {
                throw SeekError(.forbidden, "This form was sent from another site.")
            }
        }
        let sent = Array((form["csrf"] ?? "").utf8)
        let expected: [String]
        if let viewer {
            expected = [viewer.csrfToken]
        } else {
            let today = Self.day(now())
            expected = [today, today - 1].map { formToken(binding: "anonymous|\($0)") }
        }
        guard expected.contains(where: { Self.constantTimeEqual(Array($0.utf8), sent) }) else {
            throw SeekError(.forbidden, "This form has expired or was not sent from this dashboard: reload the page and try again.")
        }
    }

    private func formToken(binding: String) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(binding.utf8), using: formKey))
    }

    private static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    private static func day(_ date: Date) -> Int { Int(date.timeIntervalSince1970 / 86_400) }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A cookie's value from the request's `Cookie` headers.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    return value.isEmpty ? nil : value
                }
            }
        }
        return nil
    }
}

/// bcrypt, off the request's thread: one hash at cost 12 takes a quarter of a second.
public enum Passwords {
    /// The bcrypt hash of a password that keeps `AccountRules` (400 otherwise).
    public static func hash(_ password: String) async throws -> String {
        try AccountRules.checkPassword(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: AccountRules.bcryptCost) }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        guard AccountRules.passwordBytes.contains(password.utf8.count) else { return false }
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash no password matches, verified when an email is unknown so that the answer takes as long.
    static let unmatchable = Bcrypt.hash(Secrets.makeSessionToken(), cost: AccountRules.bcryptCost)
}

/// Failed sign-ins within 15 minutes: five for one email, twenty from one client address (which may be a
/// proxy many people share); past either, the next attempt waits.
final class LoginThrottle: Sendable {
    static let window: TimeInterval = 15 * 60
    static let perEmail = 5
    static let perAddress = 20
    private let failures = Mutex<[String: [Date]]>([:])

    static func keys(email: String, address: String) -> [(key: String, limit: Int)] {
        [("email:" + email, perEmail), ("address:" + address, perAddress)]
    }

    /// Seconds until these keys may try again; nil when they may now.
    func wait(for keys: [(key: String, limit: Int)], now: Date) -> Int? {
        failures.withLock { failures in
            let waits = keys.compactMap { key, limit -> TimeInterval? in
                let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < Self.window }
                failures[key] = recent.isEmpty ? nil : recent
                guard recent.count >= limit, let oldest = recent.first else { return nil }
                return Self.window - now.timeIntervalSince(oldest)
            }
            return waits.max().map { Int($0.rounded(.up)) }
        }
    }

    func failed(_ keys: [(key: String, limit: Int)], now: Date) {
        failures.withLock { failures in
            if failures.count > 100_000 { failures.removeAll() }  // a flood of addresses cannot grow it without end
            for (key, _) in keys { failures[key, default: []].append(now) }
        }
    }

    /// A right password clears its email's count; the address keeps its count, so one good account does not
    /// reset guessing at the others.
    func succeeded(email key: (key: String, limit: Int)) {
        failures.withLock { failures in failures[key.key] = nil }
    }
}

/// An `application/x-www-form-urlencoded` body.
struct FormBody: Sendable {
    private(set) var fields: [(name: String, value: String)] = []

    init(_ bytes: some Collection<UInt8>) {
        for pair in bytes.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            fields.append((Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : ""))
        }
    }

    subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    private static func decode(_ bytes: some Collection<UInt8>) -> String {
        let spaced = String(decoding: bytes.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        return spaced.removingPercentEncoding ?? spaced
    }

    static func read(_ request: Request, context: SeekRequestContext) async throws -> FormBody {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return FormBody(buffer.readableBytesView)
    }
}
