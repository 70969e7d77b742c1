"""The Qt roles of ``main.py``: kiosk (the default), display, counter, dashboard, technician.

Each role reads the kiosk-side configuration (``--config kiosk.toml``; none = embedded default),
builds what it needs through :mod:`kiosk.assembly`, and runs a Qt event loop. ``--screenshot``
with ``--quit-after`` renders the window offscreen for docs and checks.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.app import KioskCore
    from kiosk.assembly import Assembly
    from kiosk.runtime import KioskRuntime

log = logging.getLogger(__name__)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="kiosk.toml (default: embedded default, everything in-process)")
    parser.add_argument("--data-dir", help="override data_dir of the configuration (or set $HALL_KIOSK_DATA)")
    parser.add_argument("--fullscreen", action="store_true", help="full screen (kiosk session, hall TV)")
    parser.add_argument("--screenshot", help="save a PNG of the window after --quit-after seconds")
    parser.add_argument("--quit-after", type=float, default=0.0, help="quit after this many seconds")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kiosk = subparsers.add_parser("kiosk", help="the citizen kiosk (touch screen)")
    _common(kiosk)
    kiosk.add_argument("--no-demo-panel", action="store_true", help="hide the simulator panel")
    kiosk.add_argument("--rating-pad", metavar="COUNTER", help="run as the rating pad beside a counter")
    kiosk.set_defaults(func=run_kiosk)

    display = subparsers.add_parser("display", help="the hall queue display with voice")
    _common(display)
    display.add_argument("--counter", help="the small screen of one window instead of the hall TV")
    display.add_argument("--english", action="store_true", help="announce in English too")
    display.set_defaults(func=run_display)

    counter = subparsers.add_parser("counter", help="the counter console of one window")
    _common(counter)
    counter.add_argument("--counter", required=True, help="counter id from hall.toml, e.g. W01")
    counter.set_defaults(func=run_counter)

    dashboard = subparsers.add_parser("dashboard", help="the hall supervisor's dashboard")
    _common(dashboard)
    dashboard.set_defaults(func=run_dashboard)

    technician = subparsers.add_parser("technician", help="the technician panel (PIN; devices, sync, config)")
    _common(technician)
    technician.set_defaults(func=run_technician)

    city = subparsers.add_parser(
        "city", help="the city view: every hall and machine of the city, from what halls sync to the platform",
        description="Every hall now (waiting, longest wait against its target, counters open, today's satisfaction "
        "and rectification) and every machine with a problem or silent, by district, with the version of every "
        "machine; double-click a hall for its machines. Reads the platform's city endpoint "
        "(docs/platform-contract.md).")
    city.add_argument("--platform-url", required=True, help="the platform's base URL")
    city.add_argument("--token", default=os.environ.get("HALL_CITY_TOKEN", ""),
                      help="the platform's operator token (default $HALL_CITY_TOKEN; the reference platform's "
                      "admin_token, or --platform-data-dir)")
    city.add_argument("--platform-data-dir", help="read the token from the reference platform's credentials here")
    city.add_argument("--ca-bundle", default="", help="CA bundle of an https platform")
    city.add_argument("--district", default="", help="start filtered to this district")
    city.add_argument("--language", choices=("zh_CN", "en"), default="zh_CN")
    city.add_argument("--refresh", type=float, default=10.0, metavar="SECONDS", help="refresh every … (default 10)")
    city.add_argument("--fullscreen", action="store_true")
    city.add_argument("--screenshot", help="save a PNG of the window after --quit-after seconds")
    city.add_argument("--quit-after", type=float, default=0.0, help="quit after this many seconds")
    city.set_defaults(func=run_city)

    demo_hall = subparsers.add_parser(
        "demo-hall", help="a whole demo hall from separate processes: hall service, platform and every window",
        description="Start the reference platform, one hall service (hall-server) and a process per window "
        "(kiosk, display, a counter console per --counter, dashboard) on loopback, each window with its own "
        "configuration file and device token for that one hall; print which window is which and how staff "
        "sign in. Ctrl-C stops them all.")
    demo_hall.add_argument("--data-dir", default=None,
                           help="everything of the demo hall (default $HALL_KIOSK_DATA/demo-hall or data/demo-hall)")
    demo_hall.add_argument("--counter", action="append", dest="counters", metavar="ID",
                           help="a counter console for this counter of hall.toml (repeat; default W01)")
    demo_hall.add_argument("--roles", default=",".join(("kiosk", "display", "counter", "dashboard")),
                           help="which windows, comma-separated (default kiosk,display,counter,dashboard)")
    demo_hall.add_argument("--quit-after", type=float, default=0.0, metavar="SECONDS",
                           help="every window quits after this many seconds, then the servers stop")
    demo_hall.add_argument("--screenshot-dir", metavar="DIR",
                           help="with --quit-after: each window saves DIR/<window>.png before it quits")
    demo_hall.set_defaults(func=run_demo_hall)


def run_demo_hall(args: argparse.Namespace) -> int:
    from kiosk.demo_hall import WINDOW_ROLES, run

    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    wrong = [r for r in roles if r not in WINDOW_ROLES]
    if wrong or not roles:
        print(f"demo-hall: --roles: expected some of {', '.join(WINDOW_ROLES)}, got {args.roles!r}", file=sys.stderr)
        return 2
    _check_display()  # before any server starts: every window would fail the same way
    if args.screenshot_dir and not args.quit_after:
        print("demo-hall: --screenshot-dir needs --quit-after (the windows save their picture as they quit)",
              file=sys.stderr)
        return 2
    data_dir = Path(args.data_dir or Path(os.environ.get("HALL_KIOSK_DATA") or "data") / "demo-hall")
    return run(data_dir, args.counters or ["W01"], roles, prog=_invoked_as(), log_level=logging.getLevelName(
        logging.getLogger().getEffectiveLevel()), quit_after=args.quit_after,
        screenshot_dir=Path(args.screenshot_dir).resolve() if args.screenshot_dir else None)


def no_display_message() -> str | None:
    """Why no window can open here, in words a newcomer can act on; None when one can.

    Without it Qt aborts with "xcb-cursor0 or libxcb-cursor0 is needed", which sends people
    installing a library they have, while what is missing is a display."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None  # offscreen, eglfs, linuxfb, vnc: no display server needed
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("there is no display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so no window can open.\n"
            "  To try it anyway: QT_QPA_PLATFORM=offscreen with --screenshot out.png --quit-after 8 (a picture,\n"
            "  then exit), ./run.sh --headless (the demo offscreen; hall service, phone pages and API answer on\n"
            "  loopback), or xvfb-run -s '-screen 0 1920x1080x24' (a virtual X screen; Debian: xvfb).")


def _invoked_as() -> str:
    """``main.py`` or the installed ``hall-kiosk`` (as main.py's ``prog``)."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name if name and name not in ("-c", "-m", "__main__.py") else "main.py"


def _check_display() -> None:
    message = no_display_message()
    if message is not None:
        print(f"{_invoked_as()}: {message}", file=sys.stderr)
        raise SystemExit(2)


def _config(args: argparse.Namespace) -> Any:
    from kiosk.config import ConfigError, load_config

    # --data-dir (or $HALL_KIOSK_DATA) also says where the drop-ins (<data_dir>/kiosk.d/*.toml) are read from
    data_dir = getattr(args, "data_dir", None) or os.environ.get("HALL_KIOSK_DATA") or None
    try:
        config = load_config(args.config, data_dir=data_dir)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return config


def _run_window(app: Any, window: Any, args: argparse.Namespace, cleanup: Any) -> int:
    from PySide6.QtCore import QTimer

    if getattr(args, "fullscreen", False):
        window.showFullScreen()
    watchdog_timer = _watchdog(app)
    stop_on_signals = _quit_on_signals(app)
    if args.quit_after:
        def finish() -> None:
            if args.screenshot:
                _save_picture(window, args.screenshot)
            app.quit()

        QTimer.singleShot(int(args.quit_after * 1000), finish)
    try:
        return int(app.exec())
    finally:
        if watchdog_timer is not None:
            watchdog_timer.stop()
        stop_on_signals()
        cleanup()


def _save_picture(window: Any, path: str) -> None:
    """A QML window (grabWindow) or a widget (grab) as PNG; a picture not written is an error in
    the log, never "saved"."""
    from ui.qt_app import save_screenshot

    try:
        if hasattr(window, "grabWindow"):
            save_screenshot(window, path)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(path):
                raise RuntimeError(f"could not save a screenshot to {path}")
    except (OSError, RuntimeError) as exc:
        log.error("screenshot not saved: %s", exc)
        return
    log.info("screenshot saved", extra={"ctx": {"path": path}})


def _quit_on_signals(app: Any) -> Any:
    """Ctrl-C (SIGINT) and SIGTERM quit the Qt loop cleanly.

    Python runs a signal handler only between bytecodes, and while ``app.exec()`` runs no Python
    code does: the handler would wait for the next Qt callback. The C-level handler writes the
    signal number to a socket (``signal.set_wakeup_fd``); a Qt notifier on the other end wakes
    the loop, which lets the Python handler run and quit. Returns the function that undoes it.
    """
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    previous_fd = signal.set_wakeup_fd(writer.fileno())
    previous = {sig: signal.signal(sig, lambda _sig, _frame: app.quit()) for sig in (signal.SIGINT, signal.SIGTERM)}
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def drain() -> None:
        try:
            reader.recv(64)
        except OSError:
            pass

    notifier.activated.connect(lambda *_: drain())

    def undo() -> None:
        notifier.setEnabled(False)
        signal.set_wakeup_fd(previous_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        reader.close()
        writer.close()

    return undo


def _reached_home() -> None:
    """When started from a release (``$HALL_KIOSK_RELEASES``, the releases root of kiosk/updates.py),
    mark the running release as having reached its home screen, so its boot check keeps it."""
    root = os.environ.get("HALL_KIOSK_RELEASES", "")
    if not root:
        return
    from kiosk.updates import Releases

    releases = Releases(Path(root))
    current = releases.current()
    if current:
        releases.reached_home(current)


def _restart_for_update(app: Any, assembly: Any) -> None:
    """A staged fleet update and nobody served (kiosk.updates.IdleSwitch, on the worker thread): the
    GUI thread quits with RESTART_STATUS and systemd starts the kiosk again in the new release."""
    import threading

    from PySide6.QtCore import QTimer

    from kiosk.updates import RESTART_STATUS

    asked = threading.Event()
    assembly.restart_for_update = asked.set
    timer = QTimer(app)
    timer.timeout.connect(lambda: asked.is_set() and app.exit(RESTART_STATUS))
    timer.start(250)


def _watchdog(app: Any) -> Any:
    """Under systemd: READY once the loop runs, then a ping from the event loop (a hung UI is restarted)."""
    from PySide6.QtCore import QTimer

    from kiosk.watchdog import Watchdog

    QTimer.singleShot(0, _reached_home)
    dog = Watchdog.from_env()
    if not dog.enabled:
        return None
    timer = QTimer(app)
    # A lambda, not dog.ping: PySide6 holds a bound method of a plain object weakly, and the
    # connection vanished with `dog` (no pings reached systemd: every kiosk killed after 30 s).
    timer.timeout.connect(lambda: dog.ping())
    timer.start(int(dog.ping_interval_s * 1000))
    QTimer.singleShot(0, lambda: dog.ready("window shown"))
    return timer


def runtime_of(assembly: Assembly) -> KioskRuntime:
    """The kiosk worker of an assembly made by ``assemble_kiosk`` (which always starts one)."""
    runtime = assembly.runtime
    assert runtime is not None, "assemble_kiosk() returned an assembly without its kiosk runtime"
    return runtime


def core_of(assembly: Assembly) -> KioskCore:
    """The kiosk core of an assembly made by ``assemble_kiosk`` (which always builds one)."""
    core = assembly.core
    assert core is not None, "assemble_kiosk() returned an assembly without its kiosk core"
    return core


def run_kiosk(args: argparse.Namespace) -> int:
    from kiosk.assembly import assemble_kiosk
    from ui.demo import DemoControls
    from ui.kiosk_bridge import KioskBridge
    from ui.qt_app import application, cjk_family, load_qml, unload_qml

    _check_display()
    config = _config(args)
    app = application()
    try:
        family = cjk_family()
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    assembly = assemble_kiosk(config, config_path=args.config)
    _restart_for_update(app, assembly)
    demo = None
    if config.kiosk.demo_panel and not getattr(args, "no_demo_panel", False) and assembly.devices is not None:
        demo = DemoControls(assembly.devices, runtime_of(assembly))
    if getattr(args, "rating_pad", None):
        from kiosk.rating_pad import follow_counter

        follow_counter(assembly, args.rating_pad)
        if assembly.heartbeat is not None:
            assembly.heartbeat.kind = "rating_pad"
    holder: dict[str, Any] = {}

    def open_technician() -> None:
        holder["panel"] = open_technician_panel(assembly, family, on_exit=app.quit)

    bridge = KioskBridge(runtime_of(assembly), demo=demo, font_family=family, technician=open_technician)
    from ui.camera_provider import CameraPreviewProvider

    engine, window = load_qml("kiosk/Main.qml", {"bridge": bridge},
                              {"camera": CameraPreviewProvider(assembly.devices)})
    from ui.speech_nav import attach

    attach(window, bridge)  # speech mode: lives as long as the window (its parent)

    def cleanup() -> None:
        unload_qml(engine)  # the pages go before the bridge they bind to
        assembly.stop()

    return _run_window(app, window, args, cleanup)


def open_technician_panel(assembly: Any, family: str, on_exit: Any = None) -> Any:
    """PIN first (lockout, audited), then the panel; None when the PIN was not given."""
    from kiosk.logs import recent_lines
    from kiosk.pin import kiosk_pin_guard
    from ui.technician_app import PinDialog, TechnicianWindow

    guard = kiosk_pin_guard(assembly)
    dialog = PinDialog(guard, language=assembly.config.kiosk.language)
    if dialog.exec() != PinDialog.DialogCode.Accepted:
        return None
    # the panel opens in the language the technician left the PIN dialog in (kiosk.language at first)
    panel = TechnicianWindow(assembly.technician, recent_logs=recent_lines, on_exit_to_desktop=on_exit,
                             font_family=family, language=dialog.translator.language)
    panel.show()
    return panel


def run_technician(args: argparse.Namespace) -> int:
    from kiosk.assembly import assemble_kiosk
    from ui.qt_app import application, cjk_family

    _check_display()
    config = _config(args)
    app = application()
    assembly = assemble_kiosk(config, config_path=args.config)
    timed_out: list[bool] = []
    if args.quit_after:
        _quit_pin_dialog_after(args, timed_out)
    panel = open_technician_panel(assembly, cjk_family(), on_exit=app.quit)
    if panel is None:
        assembly.stop()
        return 0 if timed_out else 1
    return _run_window(app, panel, args, assembly.stop)


def _quit_pin_dialog_after(args: argparse.Namespace, timed_out: list[bool]) -> None:
    """--quit-after (and --screenshot) while the PIN dialog is still asked: its own event loop
    runs until it closes, so the window's timer would never start (the role never exited)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def finish() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            return  # the PIN was given: the panel's own --quit-after runs
        if args.screenshot:
            _save_picture(dialog, args.screenshot)
        timed_out.append(True)
        dialog.reject()  # type: ignore[attr-defined]

    QTimer.singleShot(int(args.quit_after * 1000), finish)


def run_embedded_default(args: argparse.Namespace) -> int:
    """``python main.py``: everything in one process with simulated devices."""
    data_dir = getattr(args, "data_dir", None) or os.environ.get("HALL_KIOSK_DATA") or "data"
    defaults = argparse.Namespace(config=None, data_dir=data_dir, fullscreen=False,
                                  screenshot=getattr(args, "screenshot", None),
                                  quit_after=getattr(args, "quit_after", 0.0), no_demo_panel=False, rating_pad=None)
    log.info("embedded default: reference platform, hall service and kiosk in one process; "
             "data in %s", Path(defaults.data_dir).resolve())
    return run_kiosk(defaults)


def _hall_client(config: Any, role: str) -> tuple[Any, Any]:
    """A hall client for a staff role; with no hall configured, an embedded hall (demo)."""
    from kiosk.assembly import connect_hall, connect_platform
    from queueing.client import HallClient

    stops: list[Any] = []
    platform = connect_platform(config, stops) if not config.hall_service.url else None
    hall = connect_hall(config, platform, stops) if platform is not None else None
    url, token = config.hall_service.url, config.hall_service.token
    if hall is not None:  # no hall configured: the embedded one
        url, token = url or hall.url, token or hall.tokens[role]

    client = HallClient(url, token, timeout=config.hall_service.timeout_s, ca_bundle=config.hall_service.ca_bundle)
    if config.hall_service.heartbeat_s > 0:  # this machine's fleet health (queueing/heartbeat.py)
        from queueing.heartbeat import Heartbeat

        kind = {"admin": "dashboard"}.get(role, role)
        beat = Heartbeat(HallClient(url, token, timeout=config.hall_service.timeout_s,
                                    ca_bundle=config.hall_service.ca_bundle),
                         kind, f"{config.kiosk.id}-{kind}", config.data_dir,
                         interval_s=config.hall_service.heartbeat_s).start()
        stops.append(beat.stop)

    def stop() -> None:
        for fn in reversed(stops):
            fn()

    return client, stop


def run_display(args: argparse.Namespace) -> int:
    from kiosk.announcer import Announcer
    from kiosk.speech import best_engine
    from ui.display_app import DisplayBridge
    from ui.qt_app import application, cjk_family, load_qml, unload_qml

    _check_display()
    config = _config(args)
    app = application()
    client, stop_hall = _hall_client(config, "display")
    # the hall's recorded call clips, when installed (docs/kiosk.md "Voice clips")
    voice = best_engine(Path(config.data_dir) / "voice-clips")
    announcer = Announcer(voice, repeat=config.display.repeat, english=args.english,
                          volume=config.display.volume, quiet_hours=config.display.quiet_hours) \
        if config.display.voice else None
    bridge = DisplayBridge(client, announcer, hall_name=config.kiosk.hall_name, font_family=cjk_family(),
                           language=config.kiosk.language, counter_id=args.counter).start()
    engine, window = load_qml("display/Window.qml" if args.counter else "display/Main.qml", {"bridge": bridge})

    def cleanup() -> None:
        unload_qml(engine)  # the pages go before the bridge they bind to
        bridge.stop()
        stop_hall()

    return _run_window(app, window, args, cleanup)


def run_counter(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from ui.counter_app import CounterController, CounterWindow
    from ui.qt_app import cjk_family

    _check_display()
    config = _config(args)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    client, stop_hall = _hall_client(config, "counter")
    controller = CounterController(client, args.counter)
    window = CounterWindow(controller, font_family=cjk_family(), language=config.kiosk.language)
    window.show()
    return _run_window(app, window, args, stop_hall)


def run_city(args: argparse.Namespace) -> int:
    import json

    from offline_cache.platform_server import CREDENTIALS_FILE, PlatformAdmin
    from ui.city_app import CityWindow
    from ui.qt_app import application, cjk_family

    _check_display()
    token = args.token
    if not token and args.platform_data_dir:
        token = json.loads((Path(args.platform_data_dir) / CREDENTIALS_FILE).read_text("utf-8"))["admin_token"]
    if not token:
        print("city: give the platform's operator token (--token, $HALL_CITY_TOKEN or --platform-data-dir)",
              file=sys.stderr)
        return 2
    app = application()
    platform = PlatformAdmin(args.platform_url, token)
    if args.ca_bundle:
        platform.session.verify = args.ca_bundle
    window = CityWindow(platform, font_family=cjk_family(), refresh_ms=int(args.refresh * 1000),
                        language=args.language)
    if args.district:
        window.choose_district(args.district)
    window.show()
    return _run_window(app, window, args, platform.session.close)


def run_dashboard(args: argparse.Namespace) -> int:
    from ui.dashboard_app import DashboardWindow
    from ui.qt_app import application, cjk_family

    _check_display()
    config = _config(args)
    app = application()
    client, stop_hall = _hall_client(config, "admin")
    window = DashboardWindow(client, font_family=cjk_family(), language=config.kiosk.language)
    window.show()
    return _run_window(app, window, args, stop_hall)
