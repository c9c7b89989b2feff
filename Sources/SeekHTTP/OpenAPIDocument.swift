import NIOCore

/// The OpenAPI 3.1 description of every route (`Resources/openapi.json`, compiled into the binary),
/// served at `GET /v1/openapi.json`. schemathesis holds the server to it, and a test holds the
/// router's routes against its paths both ways: edit it together with the routes it describes.
enum OpenAPIDocument {
    /// The document's bytes, made once and shared by every response.
    static let buffer = ByteBuffer(bytes: PackageResources.openapi_json)
}
