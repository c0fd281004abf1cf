"""A conditional VAE fitted to a user's table, conditioned on protected attributes.

An optional extra (``medtrust[deep]``).

``fit_cvae(df, condition=["race", "sex"])`` learns ``p(x | z, c)`` with ``c`` the protected
columns (one-hot) and ``x`` every other column (mixed-type encoding: :mod:`._cvae_codec`).
Two uses:

* sampling: ``c`` drawn from the real table's joint frequencies, ``z ~ N(0, I)``, numeric
  columns from their Gaussian (learned sd), categories from their softmax;
* counterfactual twins (:mod:`._cvae_twins`): each real record is encoded to its posterior mean
  ``z = E[q(z | x, c)]`` (the patient's latent code, kept) and decoded under ``c`` and the
  changed ``c'``: only what the model attributes to ``c`` changes, the clinical columns are kept.

Deterministic on CPU for a seed: ``torch.manual_seed``, a seeded ``torch.Generator`` for every
draw, ``torch.use_deterministic_algorithms(True)``. Saved as one ``torch.save`` file holding the
``state_dict`` and a JSON metadata string (the schema), read back with
``torch.load(weights_only=True)``: no arbitrary object is ever unpickled.

PyTorch is not a pip-resolved dependency (pip would pull a CUDA build of several GB): install
``pip install torch==2.13.0`` first; without it, every entry point raises one line saying so.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from medtrust.cohort._cvae_codec import CvaeColumn, describe, encode, one_hot
from medtrust.errors import ConfigError, MedtrustError

if TYPE_CHECKING:
    import torch

    from medtrust.cohort._cvae_net import CVAE, Layout

FORMAT = "medtrust-cvae/1"
TORCH_HINT = "the CVAE needs PyTorch: run `pip install torch==2.13.0` first (see README, Install)"


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MedtrustError(TORCH_HINT) from None
    return torch


class CvaeMeta(BaseModel):
    """The JSON half of a ``cvae.pt`` file: schema, hyper-parameters, training record."""

    format: str = FORMAT
    columns: list[CvaeColumn]
    conditions: list[CvaeColumn]
    condition_freq: list[tuple[list[Any], float]]
    order: list[str]
    # Bounded so that a tampered header cannot make loading allocate gigabytes.
    latent: int = Field(8, ge=1, le=256)
    hidden: int = Field(128, ge=1, le=4096)
    epochs: int = 150
    beta: float = 1.0
    seed: int = 0
    n_rows: int = 0
    final_loss: float = 0.0
    holdout_frac: float = 0.0
    split_seed: int = 0
    # (implausible rows, rows) of the fitting table; None when no plausibility rule applied.
    real_implausible: tuple[int, int] | None = None


class CvaeModel:
    """A fitted CVAE: metadata plus the network (built from the metadata)."""

    def __init__(self, meta: CvaeMeta, net: CVAE) -> None:
        self.meta = meta
        self.net = net

    def save(self, path: Path) -> None:
        """Write ``{"format", "meta" (JSON text), "state" (tensors)}`` with ``torch.save``."""
        torch = _torch()
        torch.save({"format": FORMAT, "meta": self.meta.model_dump_json(),
                    "state": self.net.state_dict()}, path)

    @classmethod
    def load(cls, path: Path) -> CvaeModel:
        """Read a file written by :meth:`save`; ConfigError (one line) for anything else."""
        torch = _torch()
        try:
            with Path(path).open("rb") as fh:
                zipped = fh.read(4) == b"PK\x03\x04"
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the model ({exc.strerror or exc})") from None
        if not zipped:
            raise ConfigError(f"{path}: not a medtrust CVAE model (not a torch.save archive)")
        try:
            blob = torch.load(Path(path), weights_only=True, map_location="cpu")
        except Exception as exc:  # torch raises many kinds of error for a bad file
            raise ConfigError(f"{path}: not a medtrust CVAE model ({_first(exc)})") from None
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise ConfigError(f"{path}: not a medtrust CVAE model (no {FORMAT!r} header)")
        try:
            meta = CvaeMeta.model_validate_json(blob.get("meta", ""))
            net = _build(meta)
            net.load_state_dict(blob["state"], strict=True)
        except (ValidationError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}: CVAE weights do not match its schema "
                              f"({_first(exc)})") from None
        net.eval()
        return cls(meta, net)


def _first(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


def _layout(cols: list[CvaeColumn]) -> Layout:
    from medtrust.cohort._cvae_net import Layout

    numeric: list[int] = []
    missing: list[int] = []
    cats: list[tuple[int, int]] = []
    at = 0
    for col in cols:
        if col.kind in ("categorical", "boolean"):
            cats.append((at, at + col.width))
        else:
            numeric.append(at)
            missing.append(at + 1 if col.width == 2 else -1)
        at += col.width
    return Layout(numeric, missing, cats)


def _build(meta: CvaeMeta) -> CVAE:
    from medtrust.cohort._cvae_net import CVAE

    d_x = sum(c.width for c in meta.columns)
    d_c = sum(c.width for c in meta.conditions)
    return CVAE(d_x, d_c, len(_layout(meta.columns).numeric), meta.latent, meta.hidden)


@contextlib.contextmanager
def _deterministic(seed: int) -> Iterator[torch.Generator]:
    torch = _torch()
    before, threads = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    # One thread: the networks are small (threads only contend), and no result can depend on
    # how many cores the machine has.
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.use_deterministic_algorithms(before)
        torch.set_num_threads(threads)


def _cond_matrix(meta: CvaeMeta, df: pd.DataFrame, where: str) -> np.ndarray:
    parts = [one_hot(col, df[col.name], where=where) for col in meta.conditions]
    return np.hstack(parts) if parts else np.zeros((len(df), 0), dtype=np.float32)


def fit_cvae(df: pd.DataFrame, condition: list[str], *, seed: int = 0, epochs: int = 150,
             latent: int = 8, hidden: int = 128, beta: float = 1.0, batch: int = 256,
             lr: float = 1e-3) -> CvaeModel:
    """Fit a CVAE to ``df`` (n rows >= 10) conditioned on the columns ``condition``.

    Adam (Kingma & Ba 2015) on the negative ELBO, ``epochs`` passes in seeded mini-batches.
    Raises :class:`ConfigError` for an unknown or all-empty column, a categorical column with more
    than 200 values, or no column left to model.
    """
    torch = _torch()
    if len(df) < 10:
        raise ConfigError("the real table needs at least 10 rows to fit a model")
    unknown = [c for c in condition if c not in df.columns]
    if unknown or not condition:
        raise ConfigError(f"--condition: no column {unknown[0]!r} in the table" if unknown
                          else "--condition: name at least one protected column")
    rest = [str(c) for c in df.columns if c not in condition]
    if not rest:
        raise ConfigError("the table has no column besides the --condition ones")
    cols = [describe(df, c) for c in rest]
    conds = [describe(df, c, condition=True) for c in condition]
    combos = Counter(tuple(v) for v in df[condition].astype(object).where(
        df[condition].notna(), None).itertuples(index=False, name=None))
    freq = [([_py(v) for v in k], n / len(df)) for k, n in sorted(
        combos.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    meta = CvaeMeta(columns=cols, conditions=conds, condition_freq=freq,
                    order=[str(c) for c in df.columns], latent=latent, hidden=hidden,
                    epochs=epochs, beta=beta, seed=seed, n_rows=len(df))
    x = torch.from_numpy(encode(cols, df))
    c = torch.from_numpy(_cond_matrix(meta, df, "table"))
    from medtrust.cohort._cvae_net import loss

    lay = _layout(cols)
    with _deterministic(seed) as gen:
        net = _build(meta)
        opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-5)
        net.train()
        total = 0.0
        for _ in range(epochs):
            perm = torch.randperm(len(df), generator=gen)
            total = 0.0
            for start in range(0, len(df), batch):
                idx = perm[start:start + batch]
                noise = torch.randn(len(idx), latent, generator=gen)
                value = loss(net, lay, x[idx], c[idx], noise, beta)
                opt.zero_grad()
                value.backward()  # type: ignore[no-untyped-call]
                opt.step()
                total += float(value.detach()) * len(idx)
        net.eval()
    from medtrust.cohort._plausible_sample import table_implausible

    meta.final_loss = round(total / len(df), 6)
    meta.real_implausible = table_implausible(df)
    return CvaeModel(meta, net)


def _py(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _finish(model: CvaeModel, out: Any, cond_df: pd.DataFrame, *, sample: bool,
            gen: torch.Generator) -> pd.DataFrame:
    """Decoder output -> table in the real column order (sampled or most likely values)."""
    from medtrust.cohort._cvae_codec import decode

    torch = _torch()
    lay = _layout(model.meta.columns)
    num = out[:, lay.numeric] if lay.numeric else out[:, :0]
    if sample and lay.numeric:
        num = num + torch.exp(model.net.log_sigma) * torch.randn(
            num.shape[0], num.shape[1], generator=gen)
    miss = []
    for slot in lay.missing:
        p = torch.sigmoid(out[:, slot]) if slot >= 0 else torch.zeros(out.shape[0])
        if sample:
            p = (torch.rand(out.shape[0], generator=gen) < p).float()
        miss.append(p.numpy())
    choices = []
    for start, stop in lay.categorical:
        logits = out[:, start:stop]
        pick = (torch.multinomial(torch.softmax(logits, dim=1), 1, generator=gen)[:, 0]
                if sample else logits.argmax(dim=1))
        choices.append(pick.numpy().astype(np.int64))
    df = decode(model.meta.columns, num.numpy(), choices, miss)
    for col in model.meta.conditions:
        df[col.name] = cond_df[col.name].to_numpy()
    return df[model.meta.order]


def sample_cvae(model: CvaeModel, n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` synthetic rows (HIPAA Safe Harbor by construction, as the copula's)."""
    from medtrust.cohort._deid import safe_harbor_frame

    torch = _torch()
    meta = model.meta
    rng = np.random.Generator(np.random.PCG64(seed))
    p = np.array([f for _, f in meta.condition_freq])
    pick = rng.choice(len(p), size=n, p=p / p.sum())
    cond_df = pd.DataFrame([meta.condition_freq[i][0] for i in pick],
                           columns=[c.name for c in meta.conditions])
    with _deterministic(seed) as gen, torch.no_grad():
        c = torch.from_numpy(_cond_matrix(meta, cond_df, "sample"))
        z = torch.randn(n, meta.latent, generator=gen)
        df = _finish(model, model.net.decode(z, c), cond_df, sample=True, gen=gen)
    return safe_harbor_frame(df)


def sample_cvae_plausible(model: CvaeModel, n: int, *, seed: int = 0
                          ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``n`` plausible sampled rows and the plausibility report (batches seeded ``seed + k``)."""
    from medtrust.cohort._plausible_sample import sample_plausible

    batch = 0

    def more(k: int) -> pd.DataFrame:
        nonlocal batch
        batch += 1
        return sample_cvae(model, k, seed=seed + 1_000_003 * (batch - 1))

    return sample_plausible(more, n, real=model.meta.real_implausible)


def twins(model: CvaeModel, data: pd.DataFrame, change: dict[str, Any], *,
          keep: list[str] | None = None, where: str = "data") -> pd.DataFrame:
    """Counterfactual twins: see :func:`medtrust.cohort._cvae_twins.twins`."""
    from medtrust.cohort._cvae_twins import twins as _twins

    return _twins(model, data, change, keep=keep, where=where)


def meta_json(model: CvaeModel) -> dict[str, Any]:
    """A short JSON-able summary of a fitted model (for ``fit --json``)."""
    meta = model.meta
    return {"format": meta.format, "rows_fitted": meta.n_rows,
            "conditions": [c.name for c in meta.conditions],
            "columns": {c.name: c.kind for c in meta.columns}, "epochs": meta.epochs,
            "latent": meta.latent, "final_loss": meta.final_loss,
            "input_implausible": None if meta.real_implausible is None else dict(
                zip(("rows", "of"), meta.real_implausible, strict=True)),
            "condition_values": json.loads(json.dumps(
                {c.name: c.categories for c in meta.conditions}, default=str))}
