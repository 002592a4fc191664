"""``python -m demo_app``: placeholder until the gateway lands; checks the demo policies load."""

import sys


def main() -> int:
    print("demo_app: the gateway is not built yet; see the README's roadmap.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
