#pragma once
#include "tools/builder-standin/flowproxy.hpp"
#include "tools/builder-standin/log.hpp"

namespace bnet::standin {

// Runs the flowproxy mode until stop is requested: registers the orderflow signer with
// BuilderHub (bounded retries; gives up with exit code 1), then serves the user endpoint,
// the system port and metrics, forwarding accepted orders to the builder. Returns the
// process exit code. Never logs the signer key.
int runFlowProxy(const FlowProxyConfig& config, const StopSignal& stop, Logger& log);

}  // namespace bnet::standin
