#pragma once
// Everything in framework/eth: hex and quantities, U256, Address/Hash32, keccak, RLP,
// secp256k1 keys and signatures, transactions, EIP-191, request signatures, test accounts.
#include "framework/eth/accounts.hpp"
#include "framework/eth/errors.hpp"
#include "framework/eth/hex.hpp"
#include "framework/eth/keccak.hpp"
#include "framework/eth/personal_sign.hpp"
#include "framework/eth/request_signature.hpp"
#include "framework/eth/rlp.hpp"
#include "framework/eth/secp256k1.hpp"
#include "framework/eth/transaction.hpp"
#include "framework/eth/types.hpp"
#include "framework/eth/u256.hpp"
