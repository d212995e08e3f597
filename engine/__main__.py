"""``python -m engine``: the same as ``khcn engine``."""

from khcn.cli import app

if __name__ == "__main__":
    app(["engine", *__import__("sys").argv[1:]])
