// Writes the registry: each .def list walked in its order, the modes sorted by durability class.
#include "bench/run/registry_json.h"

#include <algorithm>
#include <string>
#include <vector>

#include "bench/config/common_params.h"
#include "bench/flush/flush.h"
#include "bench/lab/host/verdict.h"
#include "bench/modes/mode.h"
#include "bench/targets/target.h"
#include "workloads/workload.h"

namespace daxbench {
namespace {

using json = nlohmann::ordered_json;

const char* kind_text(ParamKind kind) {
  switch (kind) {
    case ParamKind::kInteger:
      return "integer";
    case ParamKind::kSize:
      return "size";
    case ParamKind::kReal:
      return "real";
    case ParamKind::kChoice:
      return "choice";
    case ParamKind::kText:
      return "text";
  }
  return "";
}

json param_json(const ParamSpec& p) {
  json out = {{"name", p.name},
              {"kind", kind_text(p.kind)},
              {"default", p.default_value},
              {"help", p.help},
              {"shapes_case", p.shapes_case}};
  if (p.kind == ParamKind::kChoice) {
    json choices = json::array();
    for (std::string_view c : p.choices) choices.push_back(c);
    out["choices"] = choices;
  }
  if (p.kind == ParamKind::kInteger || p.kind == ParamKind::kSize || p.kind == ParamKind::kReal) {
    out["min"] = p.min;
    out["max"] = p.max;
  }
  return out;
}

json params_json(std::span<const ParamSpec> params) {
  json out = json::array();
  for (const ParamSpec& p : params) out.push_back(param_json(p));
  return out;
}

const char* durability_text(Durability d) {
  switch (d) {
    case Durability::kNever:
      return "never";
    case Durability::kBySyscall:
      return "syscall";
    case Durability::kWhenPmem:
      return "pmem";
  }
  return "";
}

// Presentation order: syscall modes, then user-space flushing, then the controls; modes.def's
// order within each class.
int durability_rank(Durability d) {
  return d == Durability::kBySyscall ? 0 : d == Durability::kWhenPmem ? 1 : 2;
}

}  // namespace

json registry_json() {
  const ParamSpec* flush_param = nullptr;
  for (const ParamSpec& p : common_params())
    if (p.name == "flush") flush_param = &p;

  std::vector<const ModeDesc*> ordered(modes().begin(), modes().end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const ModeDesc* a, const ModeDesc* b) {
    return durability_rank(a->durability) < durability_rank(b->durability);
  });
  json mode_list = json::array();
  for (const ModeDesc* m : ordered) {
    // A user-flushing mode's cases also differ by the common `flush`: it is the mode's too.
    json params = json::array();
    if ((m->needs & kNeedsUserFlush) && flush_param) params.push_back(param_json(*flush_param));
    for (const ParamSpec& p : m->params) params.push_back(param_json(p));
    mode_list.push_back({{"name", m->name},
                         {"durability", durability_text(m->durability)},
                         {"summary", m->summary},
                         {"params", params}});
  }
  json workload_list = json::array();
  for (const WorkloadDesc* w : workloads())
    workload_list.push_back(
        {{"name", w->name}, {"summary", w->summary}, {"params", params_json(w->params)}});
  json flush_list = json::array();
  for (const FlushOps* f : flush_primitives())
    flush_list.push_back({{"name", f->name}, {"summary", f->summary}});
  json target_list = json::array();
  for (const TargetDesc* t : targets())
    target_list.push_back({{"name", t->name}, {"syntax", t->syntax}, {"summary", t->summary}});
  json cut = json::array(), row = json::array();
  for (std::string_view v : kCutVerdictOrder) cut.push_back(v);
  for (std::string_view v : kRowVerdictOrder) row.push_back(v);
  return {{"modes", mode_list},
          {"workloads", workload_list},
          {"flushes", flush_list},
          {"targets", target_list},
          {"crash", {{"cut_verdicts", cut}, {"row_verdicts", row}}}};
}

}  // namespace daxbench
