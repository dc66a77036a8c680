"""A gRPC peer for Fulcrum's tests, on Debian's python3-grpcio with raw-bytes handlers (no protoc).

    grpc_peer.py serve [CERT KEY]          a backend: prints "listening PORT", serves until killed
    grpc_peer.py call TARGET KINDS [CA]    a client: calls through TARGET (KINDS comma-separated), one JSON line each

The backend's service test.Echo: Unary (echoes the request, sets initial and trailing metadata),
ServerStream (b"N" -> N messages), ClientStream (joins the messages), Bidi (echoes each message),
Slow (sleeps 2 s) and Fail (INVALID_ARGUMENT with a message and trailing metadata). It also
serves grpc.health.v1.Health/Check (SERVING until test.Control/SetServing b"0" turns it off),
with the protobuf bytes written by hand: HealthCheckResponse{status} is field 1, a varint.
"""
import json
import sys
import threading
import time
from concurrent import futures

import grpc

serving = {"value": True}


def unary(request, context):
    context.send_initial_metadata((("x-echo-meta", dict(context.invocation_metadata()).get("x-client-meta", "")),))
    context.set_trailing_metadata((("x-trailer", "t1"),))
    return b"echo:" + request


def server_stream(request, context):
    for i in range(int(request)):
        yield b"part-%d" % i
    context.set_trailing_metadata((("x-trailer", "stream-done"),))


def client_stream(request_iterator, context):
    return b"|".join(request_iterator)


def bidi(request_iterator, context):
    for message in request_iterator:
        yield b"re:" + message


def slow(request, context):
    time.sleep(2)
    return b"late"


def fail(request, context):
    context.set_trailing_metadata((("x-why", "told-to"),))
    context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad request, as asked")


def health_check(request, context):
    return b"\x08\x01" if serving["value"] else b"\x08\x02"


def set_serving(request, context):
    serving["value"] = request == b"1"
    return b"ok"


def serve(argv):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    echo = grpc.method_handlers_generic_handler("test.Echo", {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
    })
    health = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(health_check),
    })
    control = grpc.method_handlers_generic_handler("test.Control", {
        "SetServing": grpc.unary_unary_rpc_method_handler(set_serving),
    })
    server.add_generic_rpc_handlers((echo, health, control))
    if len(argv) >= 2:
        with open(argv[0], "rb") as c, open(argv[1], "rb") as k:
            creds = grpc.ssl_server_credentials(((k.read(), c.read()),))
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("listening %d" % port, flush=True)
    threading.Event().wait()


def outcome(fn):
    try:
        return {"ok": True, **fn()}
    except grpc.RpcError as e:
        trailers = dict(e.trailing_metadata() or ())
        return {"ok": False, "code": e.code().name, "details": e.details(), "trailers": trailers}


def call(target, kinds, ca=None):
    """Runs each comma-separated call kind in turn, one JSON line each."""
    for kind in kinds.split(","):
        call_one(target, kind, ca)


def call_one(target, kind, ca=None):
    if ca:
        with open(ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(f.read())
        channel = grpc.secure_channel(target, creds, options=(("grpc.ssl_target_name_override", "localhost"),))
    else:
        channel = grpc.insecure_channel(target)
    meta = (("x-client-meta", "m1"),)
    with channel:
        if kind == "unary":
            def run():
                response, c = channel.unary_unary("/test.Echo/Unary").with_call(b"hello", metadata=meta, timeout=10)
                return {"messages": [response.decode()], "initial": dict(c.initial_metadata()), "trailers": dict(c.trailing_metadata())}
        elif kind == "server_stream":
            def run():
                it = channel.unary_stream("/test.Echo/ServerStream")(b"5", timeout=10)
                messages = [m.decode() for m in it]
                return {"messages": messages, "trailers": dict(it.trailing_metadata())}
        elif kind == "client_stream":
            def run():
                response = channel.stream_unary("/test.Echo/ClientStream")(iter([b"a", b"bb", b"ccc"]), timeout=10)
                return {"messages": [response.decode()]}
        elif kind == "bidi":
            def run():
                out = channel.stream_stream("/test.Echo/Bidi")(iter([b"x%d" % i for i in range(4)]), timeout=10)
                return {"messages": [m.decode() for m in out]}
        elif kind == "deadline":
            def run():
                return {"messages": [channel.unary_unary("/test.Echo/Slow")(b"", timeout=0.3).decode()]}
        elif kind == "fail":
            def run():
                return {"messages": [channel.unary_unary("/test.Echo/Fail")(b"", timeout=10).decode()]}
        elif kind in ("serving_on", "serving_off"):
            def run():
                return {"messages": [channel.unary_unary("/test.Control/SetServing")(b"1" if kind == "serving_on" else b"0", timeout=10).decode()]}
        elif kind == "big":
            def run():
                response = channel.unary_unary("/test.Echo/Unary")(b"z" * 300000, timeout=10)
                return {"messages": [str(len(response))]}
        else:
            raise SystemExit("unknown call kind " + kind)
        print(json.dumps(outcome(run)), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2:])
    else:
        call(*sys.argv[2:])
