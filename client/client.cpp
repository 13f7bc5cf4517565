// Anchors harperrt_client until the client lands (issue: the CLI and client library).
namespace harperrt::client {}
