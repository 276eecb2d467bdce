#pragma once
// The stand-in's three HTTP servers (builderhub-api.md §2-§3): instance (the 8080 role:
// health, l1-builder API and the internal peer lists), admin (8081, Basic auth) and
// internal (8082), each on its own loopback address, routed like chi: an unknown path is
// 404 "404 page not found\n", a known path with another method is 405, no trailing-slash
// variants. Stand-in extension: GET /test/v1/events on the internal server.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tools/common/listen.hpp"
#include "tools/hub-standin/hub_state.hpp"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace bnet::standin {

// chi-like routing on exact path segments; "{name}" matches one non-empty segment.
class Router {
 public:
  using Params = std::map<std::string, std::string>;
  using Handler = std::function<Reply(const httplib::Request&, const Params&)>;
  void add(std::string method, std::string_view pattern, Handler handler);
  Reply dispatch(const httplib::Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// True when the Authorization header carries Basic credentials for user whose password
// matches the bcrypt hash (crypt(3) from libxcrypt). An empty hash never matches.
bool basicAuthMatches(std::string_view authorization, std::string_view user, std::string_view bcrypt_hash);

struct StandinConfig {
  tools::ListenAddress instance{.host = "127.0.0.1", .port = 8080};
  tools::ListenAddress admin{.host = "127.0.0.1", .port = 8081};
  tools::ListenAddress internal{.host = "127.0.0.1", .port = 8082};
  std::string admin_user = "admin";
  std::string admin_password_bcrypt;  // a hash, never the password
  bool disable_admin_auth = false;
  std::chrono::seconds drain{15};
  std::size_t max_body_bytes = std::size_t{1} << 20;  // larger bodies: 413
  ApiVersion version = ApiVersion::kV0_6_2;  // the release whose answers it gives
};

class HubStandin {
 public:
  explicit HubStandin(StandinConfig config);
  ~HubStandin();  // stop()
  HubStandin(const HubStandin&) = delete;
  HubStandin& operator=(const HubStandin&) = delete;

  // Binds the three listeners (port 0: the kernel chooses); throws std::runtime_error
  // naming the role and address that failed.
  void bind();
  // Serves on background threads until stop().
  void serve();
  void stop();
  std::uint16_t instancePort() const { return instance_port_; }
  std::uint16_t adminPort() const { return admin_port_; }
  std::uint16_t internalPort() const { return internal_port_; }

 private:
  void mount(httplib::Server& server, std::string role, const Router& router, bool admin_auth);
  Reply handleDrain();

  StandinConfig config_;
  HubState state_;
  Router instance_router_;
  Router admin_router_;
  Router internal_router_;
  std::unique_ptr<httplib::Server> instance_;
  std::unique_ptr<httplib::Server> admin_;
  std::unique_ptr<httplib::Server> internal_;
  std::uint16_t instance_port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::uint16_t internal_port_ = 0;
  std::atomic<bool> ready_{true};
  std::vector<std::thread> threads_;
};

}  // namespace bnet::standin
