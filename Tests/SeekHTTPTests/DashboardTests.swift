import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SeekCore
import SeekTestSupport
import Testing

@testable import SeekHTTP

/// A browser's view of the dashboard: its cookie and the page it last read.
struct Browser {
    var cookie: String?

    struct Page {
        var status: Int
        var headers: HTTPFields
        var html: String

        /// The CSRF token of the page's forms.
        var csrf: String? { Self.capture(#"name="csrf" value="([^"]+)""#, in: html) }

        static func capture(_ pattern: String, in text: String) -> String? {
            guard let regex = try? Regex(pattern), let match = text.firstMatch(of: regex), match.count > 1 else { return nil }
            return match.output[1].substring.map(String.init)
        }
    }

    mutating func get(_ client: any TestClientProtocol, _ uri: String) async throws -> Page {
        try await send(client, .get, uri, form: nil)
    }

    /// Posts a form as a browser on this site does (`Origin` and `Sec-Fetch-Site` of the dashboard's own origin).
    mutating func post(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ fields: [(String, String)],
        headers: HTTPFields = [HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]
    ) async throws -> Page {
        try await send(client, .post, uri, form: fields, headers: headers)
    }

    private mutating func send(
        _ client: any TestClientProtocol,
        _ method: HTTPRequest.Method,
        _ uri: String,
        form: [(String, String)]?,
        headers extra: HTTPFields = [:]
    ) async throws -> Page {
        var headers = extra
        if let cookie { headers[.cookie] = "\(DashboardSessions.cookieName)=\(cookie)" }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            let encoded = form.map { name, value in
                "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }
            body = ByteBuffer(string: encoded.joined(separator: "&"))
        }
        let page = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Page(status: Int(response.status.code), headers: response.headers, html: String(buffer: response.body))
        }
        if let setCookie = page.headers[.setCookie], let value = Page.capture("\(DashboardSessions.cookieName)=([^;]*)", in: setCookie) {
            cookie = value.isEmpty ? nil : value
        }
        return page
    }

    /// Signs up with a new workspace; returns its first API key, read from the welcome page.
    mutating func signUp(_ client: any TestClientProtocol, email: String, password: String = "correct horse battery") async throws -> String {
        let form = try await get(client, "/dashboard/signup")
        let welcome = try await post(client, "/dashboard/signup", [("csrf", form.csrf ?? ""), ("email", email), ("password", password)])
        #expect(welcome.status == 200, "\(welcome.html)")
        return try #require(Page.capture(#"(sk_live_[0-9A-Za-z]+)"#, in: welcome.html))
    }
}

@Suite("The dashboard's accounts and their safety")
struct DashboardSecurityTests {
    @Test func signedOutPagesRedirectToSignInAndSignInLinksToSignUp() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var browser = Browser()
            for path in ["/dashboard", "/dashboard/settings/api-keys", "/dashboard/jobs/job_01J0000000000000000000000"] {
                let page = try await browser.get(client, path)
                #expect(page.status == 303 && page.headers[.location] == "/dashboard/login", "\(path)")
            }
            let login = try await browser.get(client, "/dashboard/login")
            #expect(login.status == 200 && login.html.contains(#"<a href="/dashboard/signup">Sign up</a>"#))
        }
    }

    @Test func signUpSetsAStrictCookieShowsTheKeyOnceAndNeverAgain() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var browser = Browser()
            let form = try await browser.get(client, "/dashboard/signup")
            let welcome = try await browser.post(
                client,
                "/dashboard/signup",
                [("csrf", form.csrf ?? ""), ("email", "Ada@Example.com"), ("password", "correct horse battery")]
            )
            let cookie = try #require(welcome.headers[.setCookie])
            #expect(cookie.hasPrefix("__Host-seek_session=") && cookie.contains("; Path=/") && cookie.contains("; Secure"))
            #expect(cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Lax") && !cookie.contains("Domain"))
            let key = try #require(Browser.Page.capture(#"(sk_live_[0-9A-Za-z]+)"#, in: welcome.html))
            // The key works against the API, and no page shows it again.
            let me = try await client.call(.get, "/v1/me", key: key)
            #expect(me.status == 200 && me.json["plan"]?["name"]?.stringValue == "free")
            for path in ["/dashboard", "/dashboard/settings/api-keys", "/dashboard/settings/webhooks", "/dashboard/billing", "/dashboard/jobs"] {
                let page = try await browser.get(client, path)
                #expect(page.status == 200, "\(path)")
                #expect(!page.html.contains(key), "\(path) echoes the key")
            }
        }
    }

    @Test func aCrossSitePostIsRefused() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            let csrf = try #require(try await browser.get(client, "/dashboard/settings/api-keys").csrf)
            let fields = [("csrf", csrf), ("name", "stolen"), ("scope", "full")]
            let crossSite = try await browser.post(
                client,
                "/dashboard/settings/api-keys",
                fields,
                headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]
            )
            #expect(crossSite.status == 403)
            let otherOrigin = try await browser.post(client, "/dashboard/settings/api-keys", fields, headers: [.origin: "https://evil.example"])
            #expect(otherOrigin.status == 403)
            let noToken = try await browser.post(client, "/dashboard/settings/api-keys", [("name", "stolen")], headers: [:])
            #expect(noToken.status == 403)
            let keys = try await browser.get(client, "/dashboard/settings/api-keys")
            #expect(!keys.html.contains("stolen"), "no refused form made a key")
            let sameSite = try await browser.post(client, "/dashboard/settings/api-keys", fields)
            #expect(sameSite.status == 200 && sameSite.html.contains("sk_live_"))
        }
    }

    @Test func aLoggedOutCookieIsSentToSignInAndSignInMakesANewSession() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            let signedUpCookie = try #require(browser.cookie)
            let csrf = try #require(try await browser.get(client, "/dashboard").csrf)
            let out = try await browser.post(client, "/dashboard/logout", [("csrf", csrf)])
            #expect(out.status == 303 && out.headers[.location] == "/dashboard/login")
            var stale = Browser(cookie: signedUpCookie)
            let page = try await stale.get(client, "/dashboard")
            #expect(page.status == 303 && page.headers[.location] == "/dashboard/login")

            let login = try await browser.get(client, "/dashboard/login")
            let signedIn = try await browser.post(
                client,
                "/dashboard/login",
                [("csrf", login.csrf ?? ""), ("email", "ada@example.com"), ("password", "correct horse battery")]
            )
            #expect(signedIn.status == 303 && signedIn.headers[.location] == "/dashboard")
            #expect(browser.cookie != nil && browser.cookie != signedUpCookie, "a new session id at sign-in")
        }
    }

    @Test func oneWorkspaceCannotReachAnothersJobsKeysOrDeliveries() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var ada = Browser()
            let adaKey = try await ada.signUp(client, email: "ada@example.com")
            let job = try await client.call(.post, "/v1/workers/echo/jobs", key: adaKey, body: #"{"input": {"hello": "world"}}"#)
            let jobID = try #require(job.json["job_uuid"]?.stringValue)
            let adaKeys = try await client.call(.get, "/v1/me/keys", key: adaKey)
            let keyID = try #require(adaKeys.json["data"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await ada.get(client, "/dashboard/jobs/\(jobID)").status == 200)

            var bob = Browser()
            _ = try await bob.signUp(client, email: "bob@example.com")
            let csrf = try #require(try await bob.get(client, "/dashboard").csrf)
            #expect(try await bob.get(client, "/dashboard/jobs/\(jobID)").status == 404)
            #expect(try await bob.get(client, "/dashboard/settings/api-keys/\(keyID)/revoke").status == 404)
            #expect(try await bob.post(client, "/dashboard/settings/api-keys/\(keyID)/revoke", [("csrf", csrf)]).status == 404)
            #expect(try await bob.post(client, "/dashboard/jobs/\(jobID)/cancel", [("csrf", csrf)]).status == 404)
            let bobJobs = try await bob.get(client, "/dashboard/jobs")
            let bobHooks = try await bob.get(client, "/dashboard/settings/webhooks")
            #expect(!bobJobs.html.contains(jobID) && !bobHooks.html.contains(jobID))
            #expect(
                try await bob.post(client, "/dashboard/workspace", [("csrf", csrf), ("workspace", job.json["workspace_id"]?.stringValue ?? "ws_x")])
                    .status == 404
            )
            // Ada's key still works: nothing Bob sent reached it.
            #expect(try await client.call(.get, "/v1/me", key: adaKey).status == 200)
        }
    }

    @Test func aMemberOfTwoWorkspacesSwitchesBetweenThemAndSeesEachOnesJobs() async throws {
        let api = try await APIFixture()
        let job = try await api.test { client in
            try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: #"{"team": "acme"}"#).json["job_uuid"]?.stringValue
        }
        let acmeJob = try #require(job)
        try await api.test { client in
            var ada = Browser()
            _ = try await ada.signUp(client, email: "ada@example.com")
            #expect(try await ada.get(client, "/dashboard/jobs/\(acmeJob)").status == 404)
            _ = try await api.fixture.store.addMembership(email: "ada@example.com", workspaceID: api.workspaceID, role: .member)
            let overview = try await ada.get(client, "/dashboard")
            #expect(overview.html.contains(#"<option value="\#(api.workspaceID)""#), "the switcher lists both workspaces")
            let switched = try await ada.post(client, "/dashboard/workspace", [("csrf", overview.csrf ?? ""), ("workspace", api.workspaceID)])
            #expect(switched.status == 303)
            let page = try await ada.get(client, "/dashboard/jobs/\(acmeJob)")
            #expect(page.status == 200 && page.html.contains("&quot;team&quot;: &quot;acme&quot;"))
        }
    }

    @Test func failedSignInsAreThrottledAndLongPasswordsRefused() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            var stranger = Browser()
            var statuses: [Int] = []
            for _ in 0..<6 {
                let login = try await stranger.get(client, "/dashboard/login")
                let answer = try await stranger.post(
                    client,
                    "/dashboard/login",
                    [("csrf", login.csrf ?? ""), ("email", "ada@example.com"), ("password", "wrong password")]
                )
                statuses.append(answer.status)
            }
            #expect(statuses == [401, 401, 401, 401, 401, 429])
            var long = Browser()
            let form = try await long.get(client, "/dashboard/signup")
            let refused = try await long.post(
                client,
                "/dashboard/signup",
                [("csrf", form.csrf ?? ""), ("email", "long@example.com"), ("password", String(repeating: "p", count: 73))]
            )
            #expect(refused.status == 400 && refused.html.contains("72"))
            #expect(long.cookie == nil)
        }
    }
}

@Suite("The dashboard's pages")
struct DashboardPageTests {
    @Test func theMarketplaceFormSubmitsAJobThatTheJobPageShows() async throws {
        let api = try await APIFixture()
        try await api.test(runner: true) { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            let market = try await browser.get(client, "/dashboard/marketplace")
            #expect(market.html.contains(#"href="/dashboard/marketplace/echo""#))
            let worker = try await browser.get(client, "/dashboard/marketplace/sleep")
            #expect(worker.html.contains(#"name="input.ms""#) && worker.html.contains(#"type="number""#))
            let submitted = try await browser.post(client, "/dashboard/marketplace/sleep", [("csrf", worker.csrf ?? ""), ("input.ms", "5")])
            #expect(submitted.status == 303, "\(submitted.html.components(separatedBy: "<main").last ?? "")")
            let location = try #require(submitted.headers[.location])
            #expect(location.hasPrefix("/dashboard/jobs/job_"))
            let job = try await browser.get(client, location)
            #expect(job.status == 200 && job.html.contains("&quot;ms&quot;: 5"))
            // A schema violation comes back on the form with the API's message and details.
            let bad = try await browser.post(
                client,
                "/dashboard/marketplace/sleep",
                [("csrf", worker.csrf ?? ""), ("raw_input", #"{"ms": "soon"}"#)]
            )
            #expect(bad.status == 422 && bad.html.contains("/ms"))
        }
    }

    @Test func keysAreCreatedOnceAndRevokedAfterConfirmation() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var browser = Browser()
            let first = try await browser.signUp(client, email: "ada@example.com")
            let keys = try await browser.get(client, "/dashboard/settings/api-keys")
            let created = try await browser.post(
                client,
                "/dashboard/settings/api-keys",
                [("csrf", keys.csrf ?? ""), ("name", "ci"), ("scope", "read")]
            )
            let key = try #require(Browser.Page.capture(#"(sk_live_[0-9A-Za-z]+)"#, in: created.html))
            #expect(try await client.call(.get, "/v1/me", key: key).status == 200)
            let listed = try await browser.get(client, "/dashboard/settings/api-keys")
            let id = try #require(
                Browser.Page.capture(
                    #"/dashboard/settings/api-keys/(key_[0-9A-Z]+)/revoke"#,
                    in: listed.html.components(separatedBy: "ci</td>").last ?? ""
                )
            )
            let confirm = try await browser.get(client, "/dashboard/settings/api-keys/\(id)/revoke")
            #expect(confirm.html.contains("Revoke key"))
            let revoked = try await browser.post(client, "/dashboard/settings/api-keys/\(id)/revoke", [("csrf", confirm.csrf ?? "")])
            #expect(revoked.status == 303)
            #expect(try await client.call(.get, "/v1/me", key: key).status == 401)
            #expect(try await client.call(.get, "/v1/me", key: first).status == 200)
        }
    }

    @Test func aWorkerIsCreatedFromAManifestPublishedAndGivenARunnerTokenOnce() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            var browser = Browser()
            _ = try await browser.signUp(client, email: "ada@example.com")
            let page = try await browser.get(client, "/dashboard/workers")
            #expect(page.html.contains("You have not created a worker yet."))
            let bad = try await browser.post(client, "/dashboard/workers", [("csrf", page.csrf ?? ""), ("manifest", "{not json")])
            #expect(bad.status == 400 && bad.html.contains("not valid JSON"))
            let created = try await browser.post(
                client,
                "/dashboard/workers",
                [("csrf", page.csrf ?? ""), ("manifest", manifestBody(id: "ada-upper"))]
            )
            #expect(created.status == 303)
            #expect(try await browser.get(client, "/dashboard/workers").html.contains("draft"))
            #expect(try await browser.post(client, "/dashboard/workers/ada-upper/publish", [("csrf", page.csrf ?? "")]).status == 303)
            #expect(try await browser.get(client, "/dashboard/marketplace").html.contains(#"href="/dashboard/marketplace/ada-upper""#))
            let token = try await browser.post(client, "/dashboard/workers/ada-upper/runner-tokens", [("csrf", page.csrf ?? "")])
            let secret = try #require(Browser.Page.capture(#"(srt_[0-9A-Za-z]+)"#, in: token.html))
            let listed = try await browser.get(client, "/dashboard/workers")
            #expect(!listed.html.contains(secret), "a runner token is shown once")
            let tokenID = try #require(Browser.Page.capture(#"runner-tokens/(rtk_[0-9A-Z]+)/revoke"#, in: listed.html))
            #expect(
                try await browser.post(client, "/dashboard/workers/ada-upper/runner-tokens/\(tokenID)/revoke", [("csrf", page.csrf ?? "")]).status
                    == 303
            )
            #expect(!(try await browser.get(client, "/dashboard/workers").html.contains(tokenID)), "a revoked token leaves the list")
            #expect(try await browser.post(client, "/dashboard/workers/ada-upper/unpublish", [("csrf", page.csrf ?? "")]).status == 303)
            #expect(!(try await browser.get(client, "/dashboard/marketplace").html.contains("ada-upper")))
        }
    }
}

@Suite("Sign-in throttle")
struct LoginThrottleTests {
    @Test func fiveFailuresStopOneEmailAndTwentyStopOneAddress() {
        let throttle = LoginThrottle()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let ada = LoginThrottle.keys(email: "ada@example.com", address: "10.0.0.1")
        for _ in 0..<5 { throttle.failed(ada, now: start) }
        #expect(throttle.wait(for: ada, now: start) == 900)
        #expect(throttle.wait(for: LoginThrottle.keys(email: "bob@example.com", address: "10.0.0.1"), now: start) == nil, "others at the address")
        #expect(throttle.wait(for: ada, now: start.addingTimeInterval(LoginThrottle.window)) == nil, "the window passes")

        for index in 0..<20 { throttle.failed(LoginThrottle.keys(email: "guess\(index)@example.com", address: "10.0.0.2"), now: start) }
        #expect(
            throttle.wait(for: LoginThrottle.keys(email: "carol@example.com", address: "10.0.0.2"), now: start) != nil,
            "an address guessing many"
        )
        throttle.succeeded(email: LoginThrottle.keys(email: "guess0@example.com", address: "10.0.0.2")[0])
        #expect(
            throttle.wait(for: LoginThrottle.keys(email: "dan@example.com", address: "10.0.0.2"), now: start) != nil,
            "one success clears no address"
        )
    }
}
