"""The Python peers of `npm run bench`: PyTorch (CPU, one thread) and
scikit-learn, on the same CSV files as the JavaScript peers (bench/csv-files.ts).

  python_peers.py torch|sklearn '<workload json>' <budget seconds>
      one measurement, printed as one JSON line like bench/worker.ts's
  python_peers.py sklearn-cli <train.csv> <test.csv> <hidden> <epochs> <batch>
      the end-to-end workload: read the CSV (numpy.loadtxt), train an
      MLPClassifier (adam), print the test accuracy as JSON
  python_peers.py loadtxt <file.csv>
      seconds numpy.loadtxt takes to read the file, as JSON
"""
import json
import resource
import sys
import time
import warnings

import numpy as np


def load(path, scale):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return data[:, 1:] / scale, data[:, 0].astype(np.int64)


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind, w, budget):
    x, y = load(w["train"], w["scale"])
    xt, yt = load(w["test"], w["scale"])
    n = len(x)
    batch = max(1, w["batchSize"])
    by_epochs = w["byEpochs"]
    if kind == "torch":
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(1)
        sizes = w["sizes"]
        layers = []
        for i in range(1, len(sizes)):
            layers.append(torch.nn.Linear(sizes[i - 1], sizes[i]))
            if i < len(sizes) - 1:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        opt = (torch.optim.Adam if w.get("optimizer") == "adam" else torch.optim.SGD)(
            model.parameters(), lr=w["learningRate"]
        )
        loss_fn = torch.nn.CrossEntropyLoss()
        X = torch.from_numpy(x)
        Y = torch.from_numpy(y)

        def train(count, epochs):
            for _ in range(epochs):
                order = torch.randperm(count)
                for s in range(0, count, batch):
                    idx = order[s : s + batch]
                    opt.zero_grad()
                    loss_fn(model(X[idx]), Y[idx]).backward()
                    opt.step()

        def accuracy():
            with torch.no_grad():
                return float((model(torch.from_numpy(xt)).argmax(1).numpy() == yt).mean())

        note = "one thread (torch.set_num_threads(1))"
    else:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        warnings.simplefilter("ignore", ConvergenceWarning)
        model = None

        def train(count, epochs):
            nonlocal model
            model = MLPClassifier(
                hidden_layer_sizes=tuple(w["sizes"][1:-1]),
                activation="relu",
                solver="adam" if w.get("optimizer") == "adam" else "sgd",
                learning_rate_init=w["learningRate"],
                batch_size=batch,
                momentum=0.0,
                nesterovs_momentum=False,
                alpha=0.0,
                max_iter=epochs,
                shuffle=True,
                tol=0.0,
                n_iter_no_change=10**9,
                random_state=1,
            )
            model.fit(x[:count], y[:count])

        def accuracy():
            return float(model.score(xt, yt))

        note = "MLPClassifier (its fit per call: loss each epoch)"
    # Calibration: a slice, then larger ones until a run takes a tenth of the budget.
    count = n if by_epochs else min(n, max(4 * batch, 256))
    epochs = 1
    per_sample = 0.0
    for _ in range(4):
        t0 = time.perf_counter()
        train(count, epochs)
        elapsed = time.perf_counter() - t0
        per_sample = elapsed / (count * epochs)
        if elapsed > budget / 10:
            break
        if by_epochs:
            epochs = min(w["epochs"], epochs * 4)
        else:
            count = min(n, count * 4)
    count, epochs, full = n, w["epochs"], True
    if per_sample * count * epochs > budget and not (w["whole"] and kind == "torch"):
        full = False
        if by_epochs:
            epochs = max(1, int(budget / (per_sample * count)))
        else:
            epochs = 1
            count = min(n, max(batch, int(budget / per_sample / batch) * batch))
    t0 = time.perf_counter()
    train(count, epochs)
    seconds = time.perf_counter() - t0
    samples = count * epochs
    result = {
        "status": "ok",
        "note": note,
        "rate": samples / seconds,
        "unit": w["unit"],
        "samples": samples,
        "epochs": epochs,
        "seconds": seconds,
        "full": full,
        "gflops": samples * w["flopsPerSample"] / seconds / 1e9,
        "peakRssMiB": peak_mib(),
    }
    if full:
        result["accuracy"] = accuracy()
    return result


def main():
    kind = sys.argv[1]
    if kind == "loadtxt":
        t0 = time.perf_counter()
        np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, dtype=np.float32)
        print(json.dumps({"seconds": time.perf_counter() - t0}))
        return
    if kind == "sklearn-cli":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        warnings.simplefilter("ignore", ConvergenceWarning)
        train_csv, test_csv, hidden, epochs, batch = sys.argv[2:7]
        x, y = load(train_csv, 1.0)
        xt, yt = load(test_csv, 1.0)
        # Standardized inputs, as `backprop train` scales them by default.
        mean, std = x.mean(0), x.std(0)
        std[std == 0] = 1
        model = MLPClassifier(
            hidden_layer_sizes=(int(hidden),), solver="adam", batch_size=int(batch), max_iter=int(epochs), random_state=1
        )
        model.fit((x - mean) / std, y)
        print(json.dumps({"accuracy": float(model.score((xt - mean) / std, yt)), "peakRssMiB": peak_mib()}))
        return
    w = json.loads(sys.argv[2])
    budget = float(sys.argv[3])
    try:
        print(json.dumps({"workload": w["id"], "peer": "pytorch" if kind == "torch" else "sklearn", **measure(kind, w, budget)}))
    except Exception as e:  # noqa: BLE001 - one line for the table, whatever went wrong
        print(json.dumps({"workload": w["id"], "peer": kind, "status": "failed", "reason": str(e).split("\n")[0]}))


if __name__ == "__main__":
    main()
