"""Fill the sandbox's writable submission folder, then become the real program.

STANDALONE SCRIPT (stdlib only), run inside the sandbox as the worker's uid:

    python -I -S -B seed.py SOURCE DEST -- PROGRAM [ARGS...]

``SOURCE`` is the grader's private copy of the submission, bound read-only;
``DEST`` is an empty tmpfs of a fixed size (``Sandbox.submission_tmpfs_mb``),
so whatever student code writes there counts against that size and never
reaches the host's disk.  Copies SOURCE into DEST, changes into DEST and
``exec``s PROGRAM (the worker, or ipykernel for notebooks).  Exits with
:data:`EXIT_SEED_FAILED` (the message on stderr) when the copy does not fit.
"""
import os
import shutil
import sys

EXIT_SEED_FAILED = 87


def copy_into(source, dest):
    """Copy what ``source`` holds into the existing folder ``dest`` (symbolic links as links);
    entry by entry: DEST itself is the tmpfs root, which the worker uid may not chmod.
    Also used by zygote.py for a warm worker's /submission."""
    for entry in os.scandir(source):
        target = os.path.join(dest, entry.name)
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir():
            shutil.copytree(entry.path, target, symlinks=True)
        else:
            shutil.copy2(entry.path, target)


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: seed.py SOURCE DEST -- PROGRAM [ARGS...]\n")
        return 2
    source, dest, program = argv[0], argv[1], argv[3:]
    try:
        copy_into(source, dest)
    except (OSError, shutil.Error) as exc:
        sys.stderr.write(f"seed: the submission does not fit into the sandbox's {dest} ({exc})\n")
        return EXIT_SEED_FAILED
    os.chdir(dest)
    os.execv(program[0], program)
    return 1  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
