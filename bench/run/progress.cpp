// Progress lines and the time guesses behind their ETA.
#include "bench/run/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bench/modes/mode.h"
#include "workloads/workload.h"

namespace daxbench {

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

double expected_seconds(const CaseSpec& spec) {
  // A finite workload usually ends well before its duration_s, which only bounds it.
  const bool by_ops = spec.params.integer("ops") > 0 || (spec.workload->flags & kFinite);
  double seconds =
      spec.params.real("warmup_s") + (by_ops ? 0.3 : spec.params.real("duration_s")) + 0.05;
  if (!spec.mode->companion.param.empty()) seconds *= 2;
  // fio's run of the same case follows each repetition: its ramp, runtime and start-up.
  if (spec.fio) seconds += spec.params.real("warmup_s") + spec.params.real("duration_s") + 0.3;
  return seconds;
}

Progress::Progress(const std::vector<const CaseSpec*>& cases, int only_repetition) {
  for (const CaseSpec* c : cases) {
    const int all = static_cast<int>(c->params.integer("repetitions"));
    const int reps = only_repetition < 0 ? all : (only_repetition < all ? 1 : 0);
    total_runs_ += reps;
    expected_total_ += reps * expected_seconds(*c);
  }
  // A lab guest's console is a tty too, but its lines are relayed by the host: TERM=dumb.
  const char* term = std::getenv("TERM");
  tty_ = isatty(STDERR_FILENO) && !(term && std::string_view(term) == "dumb");
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::repetition(const CaseSpec& c, int rep, int reps) {
  ++done_;
  expected_done_ += expected_seconds(c);
  const double elapsed = elapsed_s();
  const double pace =
      expected_done_ > expected_seconds(c) ? elapsed / (expected_done_ - expected_seconds(c)) : 1.0;
  std::fprintf(stderr, "%s[%d/%d] %s rep %d/%d  elapsed %s  eta %s%s", tty_ ? "\r\033[K" : "",
               done_, total_runs_, c.id.c_str(), rep + 1, reps, clock_text(elapsed).c_str(),
               clock_text((expected_total_ - expected_done_ + expected_seconds(c)) * pace).c_str(),
               tty_ ? "" : "\n");
}

void Progress::fio_repetition(const CaseSpec& c, int rep, int reps) const {
  std::fprintf(stderr, "%s[%d/%d] %s fio rep %d/%d%s", tty_ ? "\r\033[K" : "", done_, total_runs_,
               c.id.c_str(), rep + 1, reps, tty_ ? "" : "\n");
}

}  // namespace daxbench
