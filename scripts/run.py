"""`make run`: start every part of the assistant, print where to reach it, stop everything on Ctrl-C."""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stack import Stack


def main() -> int:
    """Run until interrupted."""
    stack = Stack.from_environment()
    env = stack.env
    host = env.get("REISSUE_HOST", "127.0.0.1")
    print("==> starting backend, action server, outbox worker, retention job, web page and Rasa (Rasa takes 60-90 s)...")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
        print(
            "\n==> the assistant is running:\n"
            f"  chat page (portal widget)  http://{host}:{env['WEB_PORT']}/          (embed: <script src=\"http://{host}:{env['WEB_PORT']}/widget.js\"></script>)\n"
            f"  Rasa REST channel          POST http://{host}:{env['RASA_PORT']}/webhooks/rest/webhook\n"
            f"  WeChat channel             http://{host}:{env['RASA_PORT']}/webhooks/wechat/webhook\n"
            f"  action server              http://{host}:{env['ACTION_PORT']}/webhook\n"
            f"  backend API + staff page   http://{host}:{env['BACKEND_PORT']}/docs  and  /staff\n"
            f"  hotline lookup page        http://{host}:{env['LOOKUP_PORT']}/\n"
            f"  logs                       {stack.log_dir}\n"
            "Press Ctrl-C to stop everything."
        )
        while True:
            for service in stack.services:
                if service.process and service.process.poll() is not None:
                    print(f"!! {service.name} stopped unexpectedly; last log lines:\n{stack.log_tail(service)}")
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\n==> stopping...")
        return 0
    except RuntimeError as error:
        print(f"!! {error}")
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
