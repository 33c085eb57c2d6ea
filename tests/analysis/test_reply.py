"""The reply of `compare` (sections/reply.py): LKP's table of base ±%stddev, %change, new
±%stddev per metric, under a header naming both sides' kernels, the case, its parameters, the
machine and, for lab records, the emulation; the marks are compare's rule. Fixture pairs with
known values (fixtures.make_reply_pair): exact lines, counts before times in the lab, 80
columns, and the files `compare --out` writes."""
import fixtures
from daxbench_analysis.__main__ import main
from daxbench_analysis.model.run import load_run
from daxbench_analysis.render import text
from daxbench_analysis.sections.reply import Side, reply_document, reply_of_runs

HEADER = "      base %stddev     %change        new %stddev  metric"
FDATASYNC_HOST = [
    "     10000   ±  1%    -20.0% !       8000   ±  1%  ops/s",
    "      2000   ±  5%     +2.0%         2040   ±  6%  op_p50 (ns)",
    "      9000   ±  1%     +0.0%         9000   ±  1%  op_p99 (ns)",
    "      0.25           +100.0% !        0.5          page_faults/op",
    "      1.00             +0.0%         1.00          syscalls/op",
    "       0.5   ±  4%     +0.0%          0.5   ±  2%  jbd2:jbd2_end_commit/op",
]
EMULATED = "EMULATED (TCG): counts exact, times not native"


def reply_text(base, new, **options):
    return text.render(reply_of_runs(load_run(base), load_run(new), **options))


def table_after(lines, title):
    """The metric lines of the table under the case heading `title`."""
    start = lines.index(HEADER, lines.index(title)) + 2
    end = next(i for i in range(start, len(lines) + 1) if i == len(lines) or not lines[i])
    return lines[start:end]


def test_host_reply_lines(tmp_path):
    base, new = fixtures.make_reply_pair(tmp_path)
    out = reply_text(base, new)
    lines = out.splitlines()
    assert lines[0] == "daxbench reply: reply-base-run vs reply-new-run"
    assert lines[2:7] == [
        "reproduce base (reply-base-run):",
        "  ./build/daxbench run --config configs/fixture.yaml --out results/reply-base", "",
        "reproduce new (reply-new-run):",
        "  ./build/daxbench run --config configs/fixture.yaml --out results/reply-new"]
    title = "log-append/fdatasync on file:/var/tmp, file_state zeroed"
    at = lines.index(title)
    # What every case shares is said once, above the cases; each case keeps its parameters.
    shared = lines[lines.index("every case below"):lines.index(title)]
    assert shared[2:4] == [
        "base:      Linux 6.1.0-base, 3 repetitions, run reply-base-run",
        "new:       Linux 6.2.0-new, 3 repetitions, run reply-new-run"]
    # Both cases ran with the same parameters here: they are shared too.
    assert shared[4].startswith("params:    duration_s=1.0 ops=0 warmup_s=0.2 "), shared
    assert sum(line.startswith("base:") for line in lines) == 1
    assert lines[at + 1:at + 3] == ["=" * len(title), HEADER]  # no facts of its own left
    assert "file_state=" not in out  # the file state is in the case's title
    assert "machine:   Fixture CPU @ 2.00GHz, 2 CPUs, x86_64, host fixture-host" in lines
    # On a real machine the times lead; counts follow.
    assert table_after(lines, title) == FDATASYNC_HOST
    assert table_after(lines, "log-append/none on file:/var/tmp, file_state zeroed") == [
        "   1000000   ±  1%     +0.0%      1000000   ±  1%  ops/s",
        "       300             +0.0%          300          op_p50 (ns)",
        "      1200             +0.0%         1200          op_p99 (ns)",
        "     0.001             +0.0%        0.001          page_faults/op"]  # syscalls: 0
    assert "EMULATED" not in out
    assert max(len(line) for line in lines) <= 80


def test_swapped_sides_mark_improvements(tmp_path):
    """new as base: ops/s +25% and half the faults, significant but no regression (*)."""
    base, new = fixtures.make_reply_pair(tmp_path)
    lines = reply_text(new, base).splitlines()
    table = table_after(lines, "log-append/fdatasync on file:/var/tmp, file_state zeroed")
    assert table[0] == "      8000   ±  1%    +25.0% *      10000   ±  1%  ops/s"
    assert table[3] == "       0.5            -50.0% *       0.25          page_faults/op"
    assert lines[lines.index("every case below") + 2] \
        == "base:      Linux 6.2.0-new, 3 repetitions, run reply-new-run"


def test_lab_reply_counts_first_guest_kernel_and_emulation(tmp_path):
    base, new = fixtures.make_reply_pair(tmp_path, lab=True)
    lines = reply_text(base, new).splitlines()
    title = "log-append/fdatasync on lab:ext4, file_state zeroed"
    at = lines.index(title)
    shared = lines[lines.index("every case below"):at]
    # The guest's kernel, not the host's (both hosts run Linux 6.1.0-fixture).
    assert shared[2:4] == [
        "base:      Linux 6.1.0-base, 3 repetitions, run reply-base-run",
        "new:       Linux 6.2.0-new, 3 repetitions, run reply-new-run"]
    assert "machine:   QEMU TCG CPU, 2 CPUs, x86_64, QEMU TCG guest on fixture-host" in shared
    assert lines.count(EMULATED) == 1 and EMULATED in shared  # once, for every case
    assert lines[at + 1:at + 3] == ["=" * len(title), HEADER]
    assert table_after(lines, title) == FDATASYNC_HOST[3:] + FDATASYNC_HOST[:3]
    none = table_after(lines, "log-append/none on lab:ext4, file_state zeroed")
    assert [line.split()[-1] for line in none] == ["page_faults/op", "ops/s", "(ns)", "(ns)"]
    assert max(len(line) for line in lines) <= 80


def test_marks_are_compares_rule(tmp_path, capsys):
    """The ops/s mark agrees with compare's verdict on the same pair, and with too few
    repetitions nothing is judged (~)."""
    base, new = fixtures.make_reply_pair(tmp_path)
    assert main(["compare", str(base), str(new)]) == 1
    compare_out = capsys.readouterr().out
    assert "log-append/fdatasync/file:/var/tmp/defaults  ops/s" in compare_out  # REGRESSION
    two = fixtures.make_compare_pair(tmp_path, repetitions=2, suffix="-2reps",
                                     keep=(fixtures.REGRESSED,))
    lines = reply_text(*two).splitlines()
    table = table_after(lines, "random-update/fdatasync on file:/mnt/pmem0, file_state zeroed")
    assert [line[28:30] for line in table] == [" ~"] * 3
    assert "-20.0% ~" in table[0]


def test_sides_can_come_from_one_folder(tmp_path):
    """Any two groups of cases paired by id, each with its context."""
    base, new = map(load_run, fixtures.make_reply_pair(tmp_path))
    document = reply_document(Side("base", "kernel A", base.cases, base.context),
                              Side("new", "kernel B", new.cases, new.context))
    lines = text.render(document).splitlines()
    assert lines[0] == "daxbench reply: kernel A vs kernel B"
    assert table_after(lines, "log-append/fdatasync on file:/var/tmp, file_state zeroed") \
        == FDATASYNC_HOST


def test_compare_writes_the_reply_files(tmp_path, capsys):
    base, new = fixtures.make_reply_pair(tmp_path, lab=True)
    out_dir = tmp_path / "reply"
    assert main(["compare", str(base), str(new), "--out", str(out_dir)]) == 1
    printed = capsys.readouterr().out
    assert f"{out_dir}/reply.txt" in printed and "regression(s) beyond 5%" in printed
    txt = (out_dir / "reply.txt").read_text()
    assert txt == reply_text(base, new)  # deterministic: the same files every time
    md = (out_dir / "reply.md").read_text()
    assert "| base | %stddev | %change | new | %stddev | metric |" in md
    assert "| 0.25 |  | +100.0% ! | 0.5 |  | page\\_faults/op |" in md
    assert "- **EMULATED (TCG)**: counts exact, times not native" in md
    tex = (out_dir / "reply.tex").read_text()
    assert r"10000 & $\pm$  1\% & -20.0\% ! & 8000 & $\pm$  1\% & ops/s \\" in tex
    assert "Emulated: counts exact, times not native." in tex
    assert main(["compare", str(base), str(new), "--reply"]) == 1
    assert capsys.readouterr().out == txt


def test_long_commands_fold_for_a_shell(tmp_path):
    """A command longer than a line is folded with " \\" (an option kept with its value), so
    the pasted lines are the same command."""
    base, new = fixtures.make_reply_pair(tmp_path)
    context_path = new / "context.json"
    command = ("/work/build-reply/daxbench run --config /tmp/a-long-config-name.yaml "
               "--target file:/var/tmp/reply-scratch --out /tmp/replyB-with-a-long-name")
    context_path.write_text(context_path.read_text().replace(
        "./build/daxbench run --config configs/fixture.yaml --out results/reply-new", command))
    lines = reply_text(base, new).splitlines()
    at = lines.index("reproduce new (reply-new-run):")
    folded = lines[at + 1:at + 3]
    assert folded == [
        "  /work/build-reply/daxbench run --config /tmp/a-long-config-name.yaml \\",
        "      --target file:/var/tmp/reply-scratch --out /tmp/replyB-with-a-long-name"]
    assert " ".join(part.strip().removesuffix(" \\") for part in folded) == command
