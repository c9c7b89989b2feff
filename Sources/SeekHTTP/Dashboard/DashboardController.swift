import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SeekCore
import SeekStore

/// `/dashboard`: the pages a person signs in to. Accounts and sessions are handled here; everything a
/// workspace does goes through `InternalAPI`, so the dashboard and the API cannot disagree.
struct DashboardController: Sendable {
    let store: any SeekStore
    let sessions: DashboardSessions
    let api: InternalAPI
    let views: DashboardViews
    let throttle = LoginThrottle()
    let signUpEnabled: Bool
    let now: @Sendable () -> Date

    func register(in router: Router<SeekRequestContext>) {
        let open = router.group("dashboard").add(middleware: DashboardErrorMiddleware(views: views))
        open.get("seek.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardViews.stylesheet))
            )
        }
        open.get("seek.js") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardViews.script))
            )
        }
        open.get("login", use: loginPage)
        open.post("login", use: login)
        open.get("signup", use: signUpPage)
        open.post("signup", use: signUp)

        let pages = open.add(middleware: DashboardAuthMiddleware(sessions: sessions))
        pages.get("", use: overview)
        pages.post("logout", use: logout)
        pages.post("workspace", use: switchWorkspace)
        pages.get("settings/api-keys", use: keys)
        pages.post("settings/api-keys", use: createKey)
        pages.get("settings/api-keys/:key_id/revoke", use: confirmRevoke)
        pages.post("settings/api-keys/:key_id/revoke", use: revokeKey)
        pages.get("settings/webhooks", use: webhooks)
        pages.post("settings/webhooks/rotate", use: rotateSecret)
        pages.get("jobs", use: jobs)
        pages.get("jobs/:job_uuid", use: job)
        pages.post("jobs/:job_uuid/cancel", use: cancelJob)
        pages.get("marketplace", use: marketplace)
        pages.get("marketplace/:worker_id", use: worker)
        pages.post("marketplace/:worker_id", use: submit)
        pages.get("workers", use: myWorkers)
        pages.post("workers", use: createWorker)
        pages.post("workers/:worker_id/publish", use: publish)
        pages.post("workers/:worker_id/unpublish", use: unpublish)
        pages.post("workers/:worker_id/runner-tokens", use: createRunnerToken)
        pages.post("workers/:worker_id/runner-tokens/:token_id/revoke", use: revokeRunnerToken)
        pages.get("billing", use: billing)
    }

    // MARK: Accounts

    @Sendable func loginPage(request: Request, context: SeekRequestContext) async throws -> Response {
        if try await sessions.viewer(of: request) != nil { return DashboardViews.seeOther("/dashboard") }
        return views.plain("login", title: "Sign in", ["csrf": sessions.anonymousToken(), "signUp": signUpEnabled])
    }

    @Sendable func login(request: Request, context: SeekRequestContext) async throws -> Response {
        let form = try await FormBody.read(request, context: context)
        try sessions.checkForm(request, form: form, viewer: nil)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = form["password"] ?? ""
        let keys = LoginThrottle.keys(email: email, address: context.clientAddress)
        func again(_ message: String, status: HTTPResponse.Status) -> Response {
            views.plain(
                "login",
                title: "Sign in",
                ["csrf": sessions.anonymousToken(), "signUp": signUpEnabled, "error": message, "email": email],
                status: status
            )
        }
        if let wait = throttle.wait(for: keys, now: now()) {
            return again("Too many failed sign-ins. Try again in \((wait + 59) / 60) minutes.", status: .tooManyRequests)
        }
        let found = try await store.user(email: email)
        // An unknown email costs a bcrypt check too, so the time taken does not tell which emails have accounts.
        let matches = try await Passwords.verify(password, hash: found?.passwordHash ?? Passwords.unmatchable)
        guard let user = found?.user, matches, let first = try await store.memberships(userID: user.id).first else {
            throttle.failed(keys, now: now())
            return again("The email or password is not right.", status: .unauthorized)
        }
        throttle.succeeded(email: keys[0])
        return DashboardViews.seeOther("/dashboard", cookie: try await sessions.start(userID: user.id, workspaceID: first.workspaceID))
    }

    @Sendable func signUpPage(request: Request, context: SeekRequestContext) async throws -> Response {
        guard signUpEnabled else { throw SeekError.notFound("Sign-up") }
        return views.plain("signup", title: "Sign up", ["csrf": sessions.anonymousToken()])
    }

    /// Creates a user and its workspace on the Free plan, signs it in, and shows the workspace's first API
    /// key once.
    @Sendable func signUp(request: Request, context: SeekRequestContext) async throws -> Response {
        guard signUpEnabled else { throw SeekError.notFound("Sign-up") }
        let form = try await FormBody.read(request, context: context)
        try sessions.checkForm(request, form: form, viewer: nil)
        let email = form["email"] ?? ""
        let workspaceName = (form["workspace"] ?? "").trimmingCharacters(in: .whitespaces)
        do {
            let normalized = try AccountRules.normalizedEmail(email)
            let hash = try await Passwords.hash(form["password"] ?? "")
            let (user, created) = try await store.createUser(
                email: normalized,
                passwordHash: hash,
                workspace: NewWorkspace(name: workspaceName.isEmpty ? normalized : workspaceName, plan: .free)
            )
            let cookie = try await sessions.start(userID: user.id, workspaceID: created.workspace.id)
            var response = views.plain("welcome", title: "Welcome", ["key": created.apiKey, "workspaceName": created.workspace.name])
            response.headers[.setCookie] = cookie
            return response
        } catch let error as SeekError where error.code != .internalServerError {
            return views.plain(
                "signup",
                title: "Sign up",
                ["csrf": sessions.anonymousToken(), "error": error.message, "email": email, "workspace": workspaceName],
                status: .badRequest
            )
        }
    }

    @Sendable func logout(request: Request, context: SeekRequestContext) async throws -> Response {
        try sessions.checkForm(request, form: try await FormBody.read(request, context: context), viewer: try context.viewer())
        return DashboardViews.seeOther("/dashboard/login", cookie: try await sessions.end(request))
    }

    @Sendable func switchWorkspace(request: Request, context: SeekRequestContext) async throws -> Response {
        let viewer = try context.viewer()
        let form = try await FormBody.read(request, context: context)
        try sessions.checkForm(request, form: form, viewer: viewer)
        guard try await store.switchSession(tokenHash: viewer.session.tokenHash, to: form["workspace"] ?? "") else {
            throw SeekError.notFound("Workspace")
        }
        return DashboardViews.seeOther("/dashboard")
    }

    // MARK: Overview

    @Sendable func overview(request: Request, context: SeekRequestContext) async throws -> Response {
        let viewer = try context.viewer()
        let me = try await api.get("/v1/me", context: context).body
        let usage = try await api.get("/v1/me/usage", context: context).body
        let recent = try await api.get("/v1/jobs?limit=10", context: context).body
        let today = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now()).day ?? 1
        let byDay = BarChart.days(usage["month"]?.stringValue ?? "", lastDay: today, charged: usage["by_day"]?.arrayValue ?? [])
        let byWorker = (usage["by_worker"]?.arrayValue ?? []).map { ($0["worker"]?.stringValue ?? "", $0["credits"]?.integerValue ?? 0) }
        return views.page(
            "overview",
            title: "Overview",
            section: "overview",
            viewer: viewer,
            [
                "me": me.mustache, "usage": usage.mustache, "jobs": Self.jobRows(recent["data"]),
                "dayChart": BarChart(title: "Credits per day, \(usage["month"]?.stringValue ?? "")", bars: byDay).mustache,
                "workerChart": BarChart(title: "Credits per worker", bars: byWorker).mustache,
            ]
        )
    }

    // MARK: Settings → API Keys

    @Sendable func keys(request: Request, context: SeekRequestContext) async throws -> Response {
        try await keysPage(context, error: nil)
    }

    private func keysPage(_ context: SeekRequestContext, error: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let keys = try await api.get("/v1/me/keys", context: context).body
        var values: [String: Any] = ["keys": keys["data"]?.mustache ?? []]
        if let error { values["error"] = error }
        return views.page("keys", title: "API Keys", section: "api-keys", viewer: try context.viewer(), values, status: status)
    }

    /// Shows the new key once: it is in this response only, never stored, never shown again.
    @Sendable func createKey(request: Request, context: SeekRequestContext) async throws -> Response {
        let form = try await checkedForm(request, context)
        let answer = try await api.call(
            .post,
            "/v1/me/keys",
            body: ["name": .string(form["name"] ?? ""), "scope": .string(form["scope"] ?? "full")],
            context: context
        )
        guard answer.succeeded else { return try await keysPage(context, error: answer.errorMessage, status: answer.status) }
        return views.page("key-created", title: "API key created", section: "api-keys", viewer: try context.viewer(), ["key": answer.body.mustache])
    }

    @Sendable func confirmRevoke(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Self.segment(context, "key_id")
        let keys = try await api.get("/v1/me/keys", context: context).body["data"]?.arrayValue ?? []
        guard let key = keys.first(where: { $0["id"]?.stringValue == id }) else { throw SeekError.notFound("API key \(id)") }
        return views.page("key-revoke", title: "Revoke API key", section: "api-keys", viewer: try context.viewer(), ["key": key.mustache])
    }

    @Sendable func revokeKey(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Self.segment(context, "key_id")
        _ = try await checkedForm(request, context)
        let answer = try await api.call(.delete, "/v1/me/keys/\(id)", body: nil, context: context)
        if answer.status == .notFound { throw SeekError.notFound("API key \(id)") }
        guard answer.succeeded else { return try await keysPage(context, error: answer.errorMessage, status: answer.status) }
        return DashboardViews.seeOther("/dashboard/settings/api-keys")
    }

    // MARK: Settings → Webhooks

    @Sendable func webhooks(request: Request, context: SeekRequestContext) async throws -> Response {
        let secret = try await api.get("/v1/me/webhook-secret", context: context).body
        let recent = try await api.get("/v1/jobs?limit=25", context: context).body["data"]?.arrayValue ?? []
        var deliveries: [[String: Any]] = []
        for job in recent where job["webhook"]?["url"]?.stringValue != nil {
            guard let id = job["job_uuid"]?.stringValue else { continue }
            let attempts = try await api.get("/v1/jobs/\(id)/webhook-deliveries", context: context).body["data"]?.arrayValue ?? []
            deliveries.append([
                "job": id, "worker": job["worker"]?.stringValue ?? "", "url": job["webhook"]?["url"]?.stringValue ?? "",
                "attempts": attempts.map(\.mustache), "count": attempts.count,
            ])
        }
        return views.page(
            "webhooks",
            title: "Webhooks",
            section: "webhooks",
            viewer: try context.viewer(),
            ["secret": secret.mustache, "deliveries": deliveries]
        )
    }

    @Sendable func rotateSecret(request: Request, context: SeekRequestContext) async throws -> Response {
        _ = try await checkedForm(request, context)
        let answer = try await api.call(.post, "/v1/me/webhook-secret/rotate", body: nil, context: context)
        guard answer.succeeded else { throw SeekError(.badRequest, answer.errorMessage) }
        return DashboardViews.seeOther("/dashboard/settings/webhooks")
    }

    // MARK: Jobs

    @Sendable func jobs(request: Request, context: SeekRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let status = query.get("status").flatMap { $0.isEmpty ? nil : $0 }
        let worker = query.get("worker").flatMap { $0.isEmpty ? nil : $0 }
        var path = "/v1/jobs?limit=100"
        if let status { path += "&status=" + Self.queryValue(status) }
        if let worker { path += "&worker=" + Self.queryValue(worker) }
        let answer = try await api.get(path, context: context)
        var values: [String: Any] = [
            "jobs": Self.jobRows(answer.body["data"]), "worker": worker ?? "",
            "statuses": JobStatus.allCases.map { ["status": $0.rawValue, "selected": $0.rawValue == status] },
        ]
        if !answer.succeeded { values["error"] = answer.errorMessage }
        return views.page(
            "jobs",
            title: "Jobs",
            section: "jobs",
            viewer: try context.viewer(),
            values,
            status: answer.succeeded ? .ok : answer.status
        )
    }

    @Sendable func job(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Self.segment(context, "job_uuid")
        let answer = try await api.get("/v1/jobs/\(id)", context: context)
        guard answer.succeeded else { throw SeekError.notFound("Job \(id)") }
        let job = answer.body
        let deliveries = try await api.get("/v1/jobs/\(id)/webhook-deliveries", context: context).body["data"]?.arrayValue ?? []
        let status = job["status"]?.stringValue ?? ""
        let running = status == "queued" || status == "running"
        // The API's job object does not repeat the input (lists of jobs would carry every input); the page reads
        // it from the store, by the same workspace the API checked.
        let input = try await store.job(id: id, workspaceID: try context.viewer().workspace.id)?.input ?? .null
        var values: [String: Any] = [
            "job": job.mustache, "input": input.pretty, "deliveries": deliveries.map(\.mustache), "running": running,
            "files": job["files"]?.mustache ?? [],
        ]
        if let result = job["result"], result != .null {
            values["resultJSON"] = result.pretty
            if let table = ResultTable(result["items"]?.arrayValue ?? []) { values["table"] = table.mustache }
        }
        if let error = job["error"], error != .null { values["failure"] = error.mustache }
        // A running job's page reloads itself every two seconds (a meta refresh: no script needed).
        return views.page("job", title: "Job \(id)", section: "jobs", viewer: try context.viewer(), values, refresh: running ? 2 : nil)
    }

    @Sendable func cancelJob(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Self.segment(context, "job_uuid")
        _ = try await checkedForm(request, context)
        let answer = try await api.call(.delete, "/v1/jobs/\(id)", body: nil, context: context)
        if answer.status == .notFound { throw SeekError.notFound("Job \(id)") }
        guard answer.succeeded else { throw SeekError(.conflict, answer.errorMessage) }
        return DashboardViews.seeOther("/dashboard/jobs/\(id)")
    }

    // MARK: Marketplace

    @Sendable func marketplace(request: Request, context: SeekRequestContext) async throws -> Response {
        let workers = try await api.get("/v1/workers?limit=100", context: context).body["data"]
        return views.page(
            "marketplace",
            title: "Marketplace",
            section: "marketplace",
            viewer: try context.viewer(),
            ["workers": workers?.mustache ?? []]
        )
    }

    @Sendable func worker(request: Request, context: SeekRequestContext) async throws -> Response {
        try await workerPage(try Self.segment(context, "worker_id"), context: context, form: nil, error: nil)
    }

    private func workerPage(
        _ id: String,
        context: SeekRequestContext,
        form: FormBody?,
        error: InternalAPI.Answer?,
        message: String? = nil
    ) async throws -> Response {
        let answer = try await api.get("/v1/workers/\(id)", context: context)
        guard answer.succeeded else { throw SeekError.notFound("Worker \(id)") }
        let worker = answer.body
        let schema = worker["input_schema"] ?? .object([:])
        let fields = SchemaForm.fields(schema, form: form)
        let rawInput = form?["raw_input"] ?? ""
        var values: [String: Any] = [
            "worker": worker.mustache, "schema": schema.pretty, "fields": fields.map(\.mustache), "rawInput": rawInput,
            "webhook": form?["webhook_url"] ?? "", "openRaw": fields.isEmpty || !rawInput.isEmpty,
        ]
        if let error {
            values["error"] = error.errorMessage
            values["details"] = error.errorDetails.map(\.mustache)
        } else if let message {
            values["error"] = message
        }
        let status: HTTPResponse.Status = error?.status ?? (message == nil ? .ok : .badRequest)
        return views.page(
            "worker",
            title: worker["name"]?.stringValue ?? id,
            section: "marketplace",
            viewer: try context.viewer(),
            values,
            status: status
        )
    }

    /// Submits a job from the form generated from the worker's input schema, then shows the job.
    @Sendable func submit(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Self.segment(context, "worker_id")
        let form = try await checkedForm(request, context)
        let detail = try await api.get("/v1/workers/\(id)", context: context)
        guard detail.succeeded else { throw SeekError.notFound("Worker \(id)") }
        let input: JSONValue
        do {
            input = try SchemaForm.input(detail.body["input_schema"] ?? .object([:]), form: form)
        } catch {
            return try await workerPage(id, context: context, form: form, error: nil, message: error.message)
        }
        // The API's body is the input itself, with the control members beside it.
        var body = input
        if let url = form["webhook_url"], !url.isEmpty, case var .object(members) = input {
            members["webhook"] = .string(url)
            body = .object(members)
        }
        let answer = try await api.call(.post, "/v1/workers/\(id)/jobs", body: body, context: context)
        guard answer.succeeded, let job = answer.body["job_uuid"]?.stringValue else {
            return try await workerPage(id, context: context, form: form, error: answer)
        }
        return DashboardViews.seeOther("/dashboard/jobs/\(job)")
    }

    // MARK: My workers

    @Sendable func myWorkers(request: Request, context: SeekRequestContext) async throws -> Response {
        try await myWorkersPage(context, extra: [:])
    }

    private func myWorkersPage(_ context: SeekRequestContext, extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let deployments = try await api.get("/v1/me/deployments", context: context).body["data"]
        var values = extra
        var rows: [Any] = []
        for deployment in deployments?.arrayValue ?? [] {
            guard var members = deployment.mustache as? [String: Any], let id = deployment["worker"]?.stringValue else { continue }
            members["published"] = deployment["state"]?.stringValue == "published"
            let tokens = try await api.get("/v1/workers/\(id)/runner-tokens", context: context).body["data"]?.arrayValue ?? []
            members["tokens"] = tokens.filter { $0["revoked_at"] == .null }.map(\.mustache)
            rows.append(members)
        }
        values["deployments"] = rows
        return views.page("my-workers", title: "My workers", section: "workers", viewer: try context.viewer(), values, status: status)
    }

    @Sendable func createWorker(request: Request, context: SeekRequestContext) async throws -> Response {
        let form = try await checkedForm(request, context)
        let manifest: JSONValue
        do {
            manifest = try JSONParser.parse(form["manifest"] ?? "")
        } catch {
            return try await myWorkersPage(
                context,
                extra: ["error": "The manifest is not valid JSON: \(error.message).", "manifest": form["manifest"] ?? ""],
                status: .badRequest
            )
        }
        let answer = try await api.call(.post, "/v1/workers", body: manifest, context: context)
        guard answer.succeeded else {
            return try await myWorkersPage(context, extra: ["error": answer.errorMessage, "manifest": form["manifest"] ?? ""], status: answer.status)
        }
        return DashboardViews.seeOther("/dashboard/workers")
    }

    @Sendable func publish(request: Request, context: SeekRequestContext) async throws -> Response {
        try await setListed(request, context, action: "publish")
    }

    @Sendable func unpublish(request: Request, context: SeekRequestContext) async throws -> Response {
        try await setListed(request, context, action: "unpublish")
    }

    private func setListed(_ request: Request, _ context: SeekRequestContext, action: String) async throws -> Response {
        let id = try Self.segment(context, "worker_id")
        return try await myWorkersForm(request, context, .post, "/v1/workers/\(id)/\(action)", missing: "Worker \(id)") { _ in
            DashboardViews.seeOther("/dashboard/workers")
        }
    }

    /// Shows a new runner token once, like a new API key.
    @Sendable func createRunnerToken(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Self.segment(context, "worker_id")
        return try await myWorkersForm(request, context, .post, "/v1/workers/\(id)/runner-tokens", missing: "Worker \(id)") { answer in
            try await myWorkersPage(context, extra: ["runnerToken": answer.body.mustache])
        }
    }

    @Sendable func revokeRunnerToken(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Self.segment(context, "worker_id")
        let token = try Self.segment(context, "token_id")
        let path = "/v1/workers/\(id)/runner-tokens/\(token)"
        return try await myWorkersForm(request, context, .delete, path, missing: "Runner token \(token)") { _ in
            DashboardViews.seeOther("/dashboard/workers")
        }
    }

    /// A My workers button: the form checked, the API called; its 404 is the page's, its other errors are shown
    /// on My workers, and a success goes to `then`.
    private func myWorkersForm(
        _ request: Request,
        _ context: SeekRequestContext,
        _ method: HTTPRequest.Method,
        _ path: String,
        missing: String,
        then: (InternalAPI.Answer) async throws -> Response
    ) async throws -> Response {
        _ = try await checkedForm(request, context)
        let answer = try await api.call(method, path, body: nil, context: context)
        if answer.status == .notFound { throw SeekError.notFound(missing) }
        guard answer.succeeded else { return try await myWorkersPage(context, extra: ["error": answer.errorMessage], status: answer.status) }
        return try await then(answer)
    }

    // MARK: Billing

    @Sendable func billing(request: Request, context: SeekRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var path = "/v1/me/credits?limit=100"
        var filters: [String: Any] = [:]
        for name in ["type", "from", "to"] {
            if let value = query.get(name), !value.isEmpty {
                path += "&\(name)=" + Self.queryValue(value)
                filters[name] = value
            }
        }
        let answer = try await api.get(path, context: context)
        let me = try await api.get("/v1/me", context: context).body
        var values: [String: Any] = [
            "credits": answer.body.mustache, "plan": me["plan"]?.mustache ?? [:], "filters": filters,
            "types": LedgerEntryType.allCases.map { ["type": $0.rawValue, "selected": $0.rawValue == (filters["type"] as? String)] },
            "entries": answer.body["data"]?.mustache ?? [],
        ]
        if !answer.succeeded { values["error"] = answer.errorMessage }
        return views.page(
            "billing",
            title: "Billing",
            section: "billing",
            viewer: try context.viewer(),
            values,
            status: answer.succeeded ? .ok : answer.status
        )
    }

    // MARK: Helpers

    /// A form posted by the signed-in viewer, refused (403) if it did not come from this dashboard.
    private func checkedForm(_ request: Request, _ context: SeekRequestContext) async throws -> FormBody {
        let form = try await FormBody.read(request, context: context)
        try sessions.checkForm(request, form: form, viewer: try context.viewer())
        return form
    }

    /// A path parameter as one segment of an API path: ids and slugs only, anything else is not found.
    static func segment(_ context: SeekRequestContext, _ name: String) throws -> String {
        let value = context.parameters.get(name) ?? ""
        let allowed = value.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard allowed, (1...100).contains(value.utf8.count) else { throw SeekError.notFound("Page") }
        return value
    }

    static func queryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// Jobs as list rows: id, worker, status, cost, created.
    static func jobRows(_ data: JSONValue?) -> [[String: Any]] {
        (data?.arrayValue ?? []).map { job in
            [
                "id": job["job_uuid"]?.stringValue ?? "", "worker": job["worker"]?.stringValue ?? "", "status": job["status"]?.stringValue ?? "",
                "credits": job["cost_credits"]?.integerValue.map { Int($0) } ?? 0, "created": job["created_at"]?.stringValue ?? "",
            ]
        }
    }
}

extension SeekRequestContext {
    /// The signed-in viewer; only pages behind `DashboardAuthMiddleware` call this.
    func viewer() throws -> DashboardViewer {
        guard let dashboard else { throw SeekError.unauthorized }
        return dashboard
    }
}

/// Sends a browser without a live session to the sign-in page; with one, makes its workspace the caller of
/// the internal API, with a full key's rights and the workspace's plan.
struct DashboardAuthMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext
    let sessions: DashboardSessions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let viewer = try await sessions.viewer(of: request) else { return DashboardViews.seeOther("/dashboard/login") }
        var context = context
        context.dashboard = viewer
        context.identity = APIKeyIdentity(
            workspaceID: viewer.workspace.id,
            keyID: "dashboard",
            lastUsedAt: nil,
            scope: .full,
            plan: viewer.workspace.plan,
            customRateLimit: viewer.workspace.customRateLimit
        )
        context.logger[metadataKey: "workspace_id"] = .string(viewer.workspace.id)
        return try await next(request, context)
    }
}

/// Errors on dashboard pages as a page, not as the API's JSON.
struct DashboardErrorMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext
    let views: DashboardViews

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as SeekError {
            let status = SeekErrorResponse.status(for: error.code)
            let missing = error.code == .notFound
            return views.plain(
                "message",
                title: missing ? "Not found" : "Something went wrong",
                ["message": missing ? "This page does not exist, or is not in your workspace." : error.message, "status": Int(status.code)],
                status: status
            )
        }
    }
}
