#include "framework/eth/accounts.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "framework/eth/errors.hpp"

namespace e2e::eth {
namespace {

// Published with anvil/hardhat/builder-playground for kTestMnemonic.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kPrefunded{{
    {"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},
    {"0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"},
    {"0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc", "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"},
    {"0x90f79bf6eb2c4f870365e785982e1f101e93b906", "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"},
    {"0x15d34aaf54267db7d7c367839aaf71a00a2c6a65", "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"},
    {"0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc", "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"},
    {"0x976ea74026e726554db657fa54763abd0c3a0aa9", "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"},
    {"0x14dc79964da2c08b23698b3d3cc7ca32193d9955", "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"},
    {"0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f", "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"},
    {"0xa0ee7a142d267c1f36714e4a8f75612f20a79720", "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"},
}};

}  // namespace

const std::vector<TestAccount>& prefundedAccounts() {
  static const std::vector<TestAccount> kAccounts = [] {
    std::vector<TestAccount> out;
    out.reserve(kPrefunded.size());
    for (std::size_t i = 0; i < kPrefunded.size(); ++i) {
      out.push_back(TestAccount{.index = i,
                                .key = PrivateKey::fromHex(kPrefunded[i].second),
                                .address = Address::fromHex(kPrefunded[i].first)});
    }
    return out;
  }();
  return kAccounts;
}

const TestAccount& prefundedAccount(std::size_t index) {
  const auto& all = prefundedAccounts();
  if (index >= all.size()) {
    throw std::out_of_range(fmt::format("prefunded account {}: there are only {} (0..{})", index, all.size(),
                                        all.size() - 1));
  }
  return all[index];
}

NonceManager::NonceManager(FetchStart fetch_start) : fetch_start_(std::move(fetch_start)) {
  if (!fetch_start_) throw std::invalid_argument("NonceManager: fetch_start must be a callable");
}

std::uint64_t NonceManager::next(const Address& addr) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mu_);
    auto& s = slots_[addr];
    if (!s) s = std::make_shared<Slot>();
    slot = s;
  }
  std::lock_guard lock(slot->mu);
  if (!slot->next) slot->next = fetch_start_(addr);
  return (*slot->next)++;
}

void NonceManager::reset(const Address& addr) {
  std::lock_guard lock(mu_);
  slots_.erase(addr);
}

Eip1559Tx Transfer::complete(std::uint64_t chain_id, std::uint64_t nonce, const Fees& fees) const {
  return Eip1559Tx{.chain_id = chain_id,
                   .nonce = nonce,
                   .max_priority_fee_per_gas = fees.max_priority_fee_per_gas,
                   .max_fee_per_gas = fees.max_fee_per_gas,
                   .gas_limit = gas_limit,
                   .to = to,
                   .value = value,
                   .data = {},
                   .access_list = {}};
}

SignedTx Transfer::sign(const PrivateKey& key, std::uint64_t chain_id, std::uint64_t nonce, const Fees& fees) const {
  if (key.address() != from) {
    throw EthError(fmt::format("transfer from {}: signing key belongs to {}", from.checksummed(),
                               key.address().checksummed()));
  }
  return signTransaction(complete(chain_id, nonce, fees), key);
}

Transfer transfer(const Address& from, const Address& to, const U256& amount) {
  return Transfer{.from = from, .to = to, .value = amount};
}

Transfer transfer(const TestAccount& from, const Address& to, const U256& amount) {
  return transfer(from.address, to, amount);
}

Transfer transfer(const TestAccount& from, const TestAccount& to, const U256& amount) {
  return transfer(from.address, to.address, amount);
}

}  // namespace e2e::eth
