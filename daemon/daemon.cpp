// Anchors harperrt_daemon until the server lands (issue: the broker).
namespace harperrt::daemon {}
