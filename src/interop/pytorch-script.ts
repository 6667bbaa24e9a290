/**
 * The Python of `backprop export --to pytorch`: a training script that needs
 * torch alone. {@link toPytorch} fills in `__SOURCE__`, `__SCRIPT__`,
 * `__SHAPE__`, `__SETTINGS__` (a Python dict) and `__MODEL__` (the model file
 * as a Python string literal of JSON). Kept as one raw string so that the script reads as
 * Python; it has no backquote and no dollar-brace.
 *
 * @module
 */

/** The training script, with its five placeholders. */
export const TRAIN_SCRIPT = String.raw`#!/usr/bin/env python3
# Trains the network of __SOURCE__ (__SHAPE__) in PyTorch as 'backprop train'
# would: the same initial weights, preprocessing, loss, mode, optimizer and stopping rules.
# Written by 'backprop export --to pytorch'. Needs torch alone (pip install torch).
#
#   python __SCRIPT__ data.csv                         one process
#   torchrun --nproc_per_node=4 __SCRIPT__ data.csv    four processes (gloo on CPU)
#   python __SCRIPT__ data.csv --epochs 50 --out model.safetensors --json
#
# Each update takes the same examples as 'backprop train'; with several processes
# they are split between them and the gradients summed (all_reduce), so the update
# is the same, up to the order of the sums. The result is a safetensors file that
# 'backprop import model.safetensors --out model.json' reads back.
import argparse
import csv
import json
import math
import os
import re
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

# What 'backprop train' would use, from the model file's training record (or the
# library's defaults). Edit here to train differently.
SETTINGS = __SETTINGS__


# ---- backprop's seeded generator (src/random.ts), for the same splits and shuffles ----

M32 = 0xFFFFFFFF


def i32(x):
    x &= M32
    return x - 0x100000000 if x & 0x80000000 else x


def imul(a, b):
    return i32((a & M32) * (b & M32))


def urs(x, n):  # JavaScript's x >>> n
    return (x & M32) >> n


class Random:
    def __init__(self, seed=0):
        s = seed & M32

        def nxt():
            nonlocal s
            s = i32(s + 0x9E3779B9)
            z = s
            z = imul(z ^ urs(z, 16), 0x85EBCA6B)
            z = imul(z ^ urs(z, 13), 0xC2B2AE35)
            return urs(z ^ urs(z, 16), 0)

        self.a, self.b, self.c, self.d = nxt(), nxt(), nxt(), 1
        for _ in range(12):
            self.uint32()

    def uint32(self):
        t = i32(i32(self.a + self.b) + self.d)
        self.d = i32(self.d + 1)
        self.a = self.b ^ urs(self.b, 9)
        self.b = i32(self.c + (self.c << 3))
        self.c = i32((self.c << 21) | urs(self.c, 11))
        self.c = i32(self.c + t)
        return t & M32

    def next(self):
        hi = self.uint32() >> 5
        lo = self.uint32() >> 6
        return (hi * 67108864 + lo) / 9007199254740992

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = math.floor(self.next() * (i + 1))
            a[i], a[j] = a[j], a[i]
        return a


def split_rows(n, validation, test, seed, groups):
    """backprop's stratified split (src/data/split.ts): row indices of train, validation, test."""
    random = Random(seed)
    by_group = {}
    for i in range(n):
        by_group.setdefault(groups[i] if groups else 0, []).append(i)
    parts = ([], [], [])
    for g in sorted(by_group):
        rows = random.shuffle(by_group[g])
        n_test = math.floor(len(rows) * test + 0.5)
        n_val = math.floor(len(rows) * validation + 0.5)
        for k, r in enumerate(rows):
            parts[2 if k < n_test else 1 if k < n_test + n_val else 0].append(r)
    return tuple(sorted(p) for p in parts)


# ---- the data, encoded by the model file's preprocessing ----

NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def fail(message, status=2):
    sys.stderr.write(message + "\n")
    sys.exit(status)


def read_csv(path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [h.strip() or f"column{i + 1}" for i, h in enumerate(next(reader))]
            rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except (OSError, StopIteration, csv.Error) as e:
        fail(f"{path}: cannot read the CSV file ({e})")
    for line, r in rows:
        if len(r) != len(header):
            fail(f"{path}: line {line}: {len(r)} fields, the header has {len(header)}")
    return header, rows


def encode(path, header, rows, pre):
    """Inputs x and targets d, one row per CSV row, as 'backprop train' encodes them."""

    def column(name):
        if name not in header:
            fail(f"{path}: column '{name}' is missing; the model expects it in the header")
        return header.index(name)

    def number(cell, line, name):
        s = cell.strip()
        if not NUMBER.match(s) or not math.isfinite(float(s)):
            fail(f"{path}: line {line}, column '{name}': expected a finite number, found '{cell}'")
        return float(s)

    inputs = [(c, column(c["column"])) for c in pre["inputs"]]
    target = pre["target"]
    targets = [column(target["column"])] if target["kind"] == "classes" else [column(c) for c in target["columns"]]
    xs, ds = [], []
    for line, r in rows:
        x = []
        for c, j in inputs:
            if c["kind"] == "number":
                x.append((number(r[j], line, c["column"]) - c["offset"]) / c["scale"])
            else:
                s = r[j].strip()
                x.extend(1.0 if s == k else 0.0 for k in c["categories"])
        if target["kind"] == "classes":
            s = r[targets[0]].strip()
            if s not in target["classes"]:
                fail(f"{path}: line {line}, column '{target['column']}': expected one of the classes {target['classes']}, found '{s}'")
            at = target["classes"].index(s)
            ds.append([float(at)] if target["binary"] else [1.0 if i == at else 0.0 for i in range(len(target["classes"]))])
        else:
            ds.append([(number(r[j], line, name) - o) / sc for j, name, o, sc in zip(targets, target["columns"], target["offset"], target["scale"])])
        xs.append(x)
    return xs, ds


# ---- the network: an nn.Sequential of Linear and activation modules, as 'backprop export --to safetensors' lays it out,
# with nn.Dropout(p) after each layer that has a dropout rate (its masks are PyTorch's, not backprop's) ----

MODULES = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky-relu": lambda: nn.LeakyReLU(0.01),
    "elu": nn.ELU,
    "softplus": nn.Softplus,
    "gelu": nn.GELU,
    "softmax": lambda: nn.Softmax(dim=-1),
}

# psi of each activation, as backprop computes it (softplus without PyTorch's threshold at 20).
PSI = {
    "linear": lambda v: v,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky-relu": lambda v: F.leaky_relu(v, 0.01),
    "elu": F.elu,
    "softplus": lambda v: torch.clamp(v, min=0) + torch.log1p(torch.exp(-v.abs())),
    "gelu": F.gelu,
    "softmax": lambda v: torch.softmax(v, dim=-1),
}


def build(model, dtype):
    modules, layers = [], []
    for layer in model["layers"]:
        linear = nn.Linear(len(layer["weights"]), layer["units"]).to(dtype)
        with torch.no_grad():
            # backprop keeps w^(n)_mi as weights[m][i] (fan-in x units); Linear keeps the transpose.
            linear.weight.copy_(torch.tensor(layer["weights"], dtype=torch.float64).T)
            linear.bias.copy_(torch.tensor(layer["biases"], dtype=torch.float64))
        modules.append(linear)
        drop = nn.Dropout(layer["dropout"]) if layer.get("dropout") else None
        layers.append((linear, layer["activation"], drop))
        if layer["activation"] != "linear":
            modules.append(MODULES[layer["activation"]]())
        if drop is not None:
            modules.append(drop)
    return nn.Sequential(*modules), layers


def forward(layers, x):
    """v and out of the output layer."""
    for linear, activation, drop in layers:
        v = linear(x)
        x = PSI[activation](v)
        if drop is not None:
            x = drop(x)  # inverted dropout while net.train(); nothing under net.eval()
    return v, x


def loss_sum(v, y, d):
    """sum_i L(i) over the rows; sigmoid + binary cross-entropy and softmax + cross-entropy from v."""
    loss, output = SETTINGS["loss"], SETTINGS["outputActivation"]
    if loss == "cross-entropy" and output == "softmax":
        return -(d * torch.log_softmax(v, dim=-1)).sum()
    if loss == "binary-cross-entropy" and output == "sigmoid":
        return F.binary_cross_entropy_with_logits(v, d, reduction="sum")
    if loss == "squared":
        return ((d - y) ** 2).sum()
    if loss == "half-squared":
        return 0.5 * ((d - y) ** 2).sum()
    if loss == "binary-cross-entropy":
        return -(d * torch.log(y) + (1 - d) * torch.log(1 - y)).sum()
    return -torch.special.xlogy(d, y).sum()


def correct(y, d):
    """Examples classified right, as backprop counts them during an epoch."""
    if y.shape[1] == 1:
        return int(((y >= 0.5) == (d >= 0.5)).sum())
    return int((y.argmax(dim=1) == d.argmax(dim=1)).sum())


def optimizer(layers):
    """torch.optim with one parameter group per layer: eta^(n) of layer n."""
    o = SETTINGS["optimizer"]
    groups = [{"params": [linear.weight, linear.bias], "lr": eta} for (linear, _, _), eta in zip(layers, SETTINGS["learningRate"])]
    lr, wd = SETTINGS["learningRate"][0], o["weightDecay"]
    if o["name"] == "sgd":
        return torch.optim.SGD(groups, lr=lr, weight_decay=wd)
    if o["name"] in ("momentum", "nesterov"):
        return torch.optim.SGD(groups, lr=lr, momentum=o["momentum"], nesterov=o["name"] == "nesterov", weight_decay=wd)
    if o["name"] == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(o["beta1"], o["beta2"]), eps=o["epsilon"], weight_decay=wd)
    return torch.optim.RMSprop(groups, lr=lr, alpha=o["rho"], eps=o["epsilon"], weight_decay=wd)


# ---- safetensors, written by hand (no package needed) ----


def save_safetensors(path, tensors, metadata):
    header, chunks, offset = {}, [], 0
    for name, t in tensors:
        t = t.detach().cpu().contiguous()
        code, fmt = ("F64", "d") if t.dtype == torch.float64 else ("F32", "f")
        data = struct.pack(f"<{t.numel()}{fmt}", *t.flatten().tolist())
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def fmt(x):
    """4 significant digits, as backprop prints costs."""
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6):
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{x:.3e}")
    return f"{float(f'{x:.4g}'):g}"


def main():
    p = argparse.ArgumentParser(description="Train the exported network as 'backprop train' would.")
    p.add_argument("data", help="CSV file with the model's input and target columns")
    p.add_argument("--out", default="model.safetensors", help="safetensors file to write (default model.safetensors)")
    p.add_argument("--epochs", type=int, help=f"maximum number of epochs (default {SETTINGS['epochs']})")
    p.add_argument("--checkpoint", help="checkpoint file (default: OUT.checkpoint.pt)")
    p.add_argument("--checkpoint-every", type=int, default=10, help="epochs between checkpoints (default 10; 0: none)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--json", action="store_true", help="print the run as one JSON document on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    args = p.parse_args()
    S = SETTINGS
    max_epochs = args.epochs or S["epochs"]
    checkpoint = args.checkpoint or args.out + ".checkpoint.pt"

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("nccl" if args.device == "cuda" else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if args.device == "cuda" else "cpu")
    dtype = torch.float64 if S["dtype"] == "float64" else torch.float32
    say = (lambda line: sys.stderr.write(line + "\n")) if rank == 0 and not args.quiet else (lambda line: None)

    pre = MODEL["preprocessing"]
    header, rows = read_csv(args.data)
    groups = None
    if pre["target"]["kind"] == "classes":
        j = header.index(pre["target"]["column"]) if pre["target"]["column"] in header else -1
        index = {k: i for i, k in enumerate(pre["target"]["classes"])}
        groups = [index.get(r[j].strip(), 0) if j >= 0 else 0 for _, r in rows]
    train_rows, val_rows, _ = split_rows(len(rows), S["validationSplit"], S["testSplit"], S["seed"], groups)
    tensor = lambda a, width: torch.tensor(a, dtype=dtype, device=device).reshape(-1, width)
    xs, ds = encode(args.data, header, [rows[i] for i in train_rows], pre)
    X, D = tensor(xs, MODEL["inputs"]), tensor(ds, MODEL["layers"][-1]["units"])
    if val_rows:
        vx, vd = encode(args.data, header, [rows[i] for i in val_rows], pre)
        VX, VD = tensor(vx, MODEL["inputs"]), tensor(vd, MODEL["layers"][-1]["units"])
    n = X.shape[0]
    B = n if S["mode"] == "batch" else 1 if S["mode"] == "sequential" else min(S["batchSize"], n)
    classification = pre["target"]["kind"] == "classes"

    net, layers = build(MODEL, dtype)
    net.to(device)
    params = list(net.parameters())
    opt = optimizer(layers)
    random = Random(S["seed"])
    state = {"epoch": 0, "best": None, "best_cost": math.inf, "best_epoch": 0, "since": 0, "history": [], "stop": None}
    if args.resume:
        cp = torch.load(checkpoint)
        net.load_state_dict(cp["net"])
        opt.load_state_dict(cp["optimizer"])
        random.a, random.b, random.c, random.d = cp["random"]
        state = cp["state"]

    def measure(x, d):
        net.eval()  # no dropout when measuring
        with torch.no_grad():
            v, y = forward(layers, x)
            s = float(loss_sum(v, y, d))
        net.train()
        cost = s / x.shape[0] if S["reduction"] == "mean" else s
        return cost, (correct(y, d) / x.shape[0] if classification else None)

    def save_checkpoint():
        if rank != 0:
            return
        cp = {"net": net.state_dict(), "optimizer": opt.state_dict(), "random": [random.a, random.b, random.c, random.d], "state": state}
        torch.save(cp, checkpoint + ".tmp")
        os.replace(checkpoint + ".tmp", checkpoint)

    say(
        f"training {'-'.join(str(l['units']) for l in MODEL['layers'])} on {n} rows of {args.data}"
        + (f", {len(val_rows)} validation" if val_rows else "")
        + (f" in {world} processes" if world > 1 else "")
        + f": {S['optimizer']['name']}, eta {','.join(fmt(e) for e in sorted(set(S['learningRate']), key=S['learningRate'].index))}, {S['mode']}"
        + (f" of {B}" if S["mode"] == "minibatch" else "")
        + f", {S['loss']}/{S['reduction']}, up to {max_epochs} epochs"
        + (f", patience {S['patience']}" if S["patience"] is not None else "")
    )
    every = max(1, max_epochs // 20)
    started = time.time()
    while state["stop"] is None:
        epoch = state["epoch"] + 1
        order = list(range(n))
        if S["shuffle"] and S["mode"] != "batch":
            random.shuffle(order)
        snapshot = [q.detach().clone() for q in params]
        totals = torch.zeros(2, dtype=torch.float64, device=device)  # sum of L(i), examples classified right
        for start in range(0, n, B):
            batch = order[start : start + B]
            mine = torch.tensor(batch[rank::world], dtype=torch.long, device=device)
            x, d = X[mine], D[mine]
            opt.zero_grad(set_to_none=False)
            v, y = forward(layers, x)
            s = loss_sum(v, y, d)
            # J of this update: sum_i L(i), times 1/(examples in the update) for 'mean'.
            (s * (1.0 / len(batch) if S["reduction"] == "mean" else 1.0)).backward()
            totals[0] += s.detach()
            if classification:
                totals[1] += correct(y.detach(), d)
            if world > 1:
                for q in params:
                    dist.all_reduce(q.grad)
            opt.step()
        if world > 1:
            dist.all_reduce(totals)
        cost = float(totals[0]) / n if S["reduction"] == "mean" else float(totals[0])
        if not math.isfinite(cost) or not all(bool(torch.isfinite(q).all()) for q in params):
            with torch.no_grad():
                for q, s0 in zip(params, snapshot):
                    q.copy_(s0)
            state["stop"] = "divergence"
            say(f"the cost became {cost} in epoch {epoch}; kept the weights from before it. Try a smaller learning rate.")
            break
        info = {"epoch": epoch, "cost": cost}
        if classification:
            info["accuracy"] = float(totals[1]) / n
        if val_rows:
            info["validationCost"], va = measure(VX, VD)
            if va is not None:
                info["validationAccuracy"] = va
        state["history"].append(info)
        state["epoch"] = epoch
        # Stopping rules, as backprop applies them after each epoch.
        monitored = info.get("validationCost", cost)
        if S["patience"] is not None:
            if monitored < state["best_cost"] - S["minDelta"] or state["best"] is None:
                state.update(best_cost=monitored, best_epoch=epoch, since=0, best=[q.detach().clone() for q in params])
            else:
                state["since"] += 1
        if S["tolerance"] is not None and monitored <= S["tolerance"]:
            state["stop"] = "tolerance"
        elif S["patience"] is not None and state["since"] >= S["patience"]:
            state["stop"] = "patience"
        elif epoch >= max_epochs:
            state["stop"] = "epochs"
        if state["stop"] == "patience" or (state["stop"] == "epochs" and state["best"] is not None):
            with torch.no_grad():
                for q, b in zip(params, state["best"]):
                    q.copy_(b)
        if epoch == 1 or epoch % every == 0 or state["stop"]:
            val = fmt(info["validationCost"]) if "validationCost" in info else "-"
            acc = fmt(info["accuracy"]) if "accuracy" in info else "-"
            say(f"epoch {epoch}/{max_epochs}  cost {fmt(cost)}  val {val}  acc {acc}")
        if args.checkpoint_every and epoch % args.checkpoint_every == 0 and not state["stop"]:
            save_checkpoint()

    scores = {"train": dict(zip(("cost", "accuracy"), measure(X, D)))}
    if val_rows:
        scores["validation"] = dict(zip(("cost", "accuracy"), measure(VX, VD)))
    if rank == 0:
        meta = {k: v for k, v in MODEL.items() if k not in ("format", "version", "inputs", "layers")}
        o = S["optimizer"]
        record = {
            **meta.get("training", {}),
            **{k: S[k] for k in ("loss", "reduction", "mode", "learningRate", "shuffle", "seed", "patience", "tolerance", "minDelta", "validationSplit", "testSplit")},
            # The record's shape: the optimizer by name, its hyperparameters beside it.
            "optimizer": o["name"],
            **{k: o[k] for k in ("momentum", "beta1", "beta2", "epsilon", "rho", "weightDecay")},
            "batchSize": B,
            "maxEpochs": max_epochs,
            "data": args.data,
            "rows": n,
            "epochs": state["epoch"],
            "stoppedBy": state["stop"],
            "bestEpoch": state["best_epoch"] if S["patience"] is not None else None,
            "finalCost": state["history"][-1]["cost"] if state["history"] else None,
            "trainedWith": f"PyTorch {torch.__version__}, {world} process{'es' if world > 1 else ''}",
        }
        meta["training"] = {k: v for k, v in record.items() if v is not None}
        tensors = [(name, t) for name, t in net.state_dict().items()]
        metadata = {
            "format": "pt",
            "backprop": json.dumps(meta),
            "backprop.activations": ",".join(l["activation"] for l in MODEL["layers"]),
        }
        save_safetensors(args.out, tensors, metadata)
        train = scores["train"]
        say(
            f"stopped by {state['stop']} after {state['epoch']} epochs in {time.time() - started:.1f} s; "
            + f"train cost {fmt(train['cost'])}"
            + (f", accuracy {train['accuracy']:.4f}" if train["accuracy"] is not None else "")
            + f"; wrote {args.out} (backprop import {args.out} --out model.json)"
        )
        if args.json:
            print(json.dumps({"history": state["history"], "stoppedBy": state["stop"], "bestEpoch": state["best_epoch"], "scores": scores, "out": args.out, "processes": world}))
    if world > 1:
        dist.destroy_process_group()
    if state["stop"] == "divergence":
        sys.exit(1)  # as 'backprop train': the last finite weights are written, and the run failed


# The model file: layers with their initial weights, columns, preprocessing.
MODEL = json.loads(__MODEL__)

if __name__ == "__main__":
    main()
`;
