// A counter set chosen by name in a config: a built-in table plus libpfm4 events and tracepoints
// added by name, owning the strings its rows point to.
#pragma once

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/counters/event_set.h"

namespace daxbench::perf {

struct CounterTable {
  std::deque<std::string> strings;  // a deque: growing it never moves the strings defs point to
  std::vector<CounterDef> defs;

  CounterTable() = default;
  CounterTable(const CounterTable&) = delete;  // a copy's defs would point into the original
  CounterTable& operator=(const CounterTable&) = delete;
};

// The built-in sets a config can name: "default" (the table in event_set.cpp) and "none".
std::vector<std::string> counter_set_names();
std::optional<std::span<const CounterDef>> builtin_counter_set(std::string_view name);

// Adds one counter named as in a config: "SYS:EVENT" is a tracepoint (checked against tracefs
// when it is readable), anything else a libpfm4 event string; "@system" counts it system-wide.
// Returns why it cannot be added (unknown to libpfm4, no such tracepoint, already in the set).
std::optional<std::string> add_counter(CounterTable& table, std::string_view spec);

}  // namespace daxbench::perf
