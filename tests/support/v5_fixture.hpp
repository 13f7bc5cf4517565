// DaemonV5Test: a fixture with a default-config daemon and MQTT 5 clients connected to it;
// the daemon must stop cleanly at the end of each test.
#pragma once

#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace harperrt::test {

class DaemonV5Test : public ::testing::Test {
protected:
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }
    // A connected MQTT 5 client (CONNACK success checked).
    std::unique_ptr<TestClient> client(const std::string& id, mqtt::Properties props = {}, bool clean = true) {
        auto c = std::make_unique<TestClient>(daemon_.mqtt_port(), mqtt::Version::v5);
        EXPECT_EQ(c->connect(id, clean, std::move(props)).reason_code, mqtt::ReasonCode::success);
        return c;
    }
    Daemon daemon_;
};

}  // namespace harperrt::test
