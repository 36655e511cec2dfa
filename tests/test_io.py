"""HDF5 run files (atomic commits, truncation on resume) and OVF 2.0 snapshots.

OVF files are read back by our reader and by an external one, Spirit's OVF library
(``spirit.io.image_read`` into a Spirit state of the same grid; Spirit orders its spins
x fastest like OVF). The texture is a skyrmion on the seed's Kwant device, whose sites
Kwant orders column by column, so the test also checks the reordering onto the OVF grid.
"""

import os
import tempfile

import numpy as np
import pytest

import kwant_llg as kl
from kwant_llg import devices, io as klio, textures
from kwant_llg._common import KwantLLGError


def _record(t, n=3):
    return {"time": t, "E": np.float64(-t), "v": np.arange(n) * t}


def test_run_file_commits_truncates_and_keeps_metadata(tmp_path):
    path = tmp_path / "sub" / "run.h5"
    rf = klio.RunFile.create(path, parameters={"V": 0.8, "omega": 1.0, "name": "pump"},
                             settings={"t_end": 9.0}, positions=np.zeros((2, 3)))
    data = rf.read()
    assert data.status == "running" and data.times.size == 0 and data.checkpoint is None
    assert np.isnan(data.checkpoint_time)
    assert data.parameters == {"V": 0.8, "omega": 1.0, "name": "pump"}
    assert {"kwant", "numpy", "kwant_llg", "git", "python", "h5py"} <= set(data.versions)
    assert data.versions["kwant"] == __import__("kwant").__version__

    snap = np.arange(6.0).reshape(2, 3)
    rf.commit(records=[_record(0.0), _record(1.0)], snapshots=[(0.0, snap)],
              checkpoint=(1.0, b"state-1"))
    rf.commit(records=[_record(2.0)], snapshots=[(2.0, 2 * snap)], status="failed",
              error="boom")
    data = rf.read()
    np.testing.assert_array_equal(data.times, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(data.records["v"][2], [0.0, 2.0, 4.0])
    assert (data.checkpoint, data.checkpoint_time) == (b"state-1", 1.0)
    assert (data.checkpoint_records, data.checkpoint_snapshots) == (2, 1)
    assert data.status == "failed" and data.error == "boom"
    np.testing.assert_array_equal(data.snapshots, [snap, 2 * snap])

    rf.commit(truncate=True, status="running")          # what resume does
    data = rf.read()
    np.testing.assert_array_equal(data.times, [0.0, 1.0])
    assert data.snapshots.shape == (1, 2, 3) and data.status == "running"
    rf.commit(records=[_record(2.5)], checkpoint=(2.5, b"longer state 2"))
    assert rf.read().checkpoint == b"longer state 2"
    assert not path.with_name("run.h5.tmp").exists()     # the commit's copy was renamed

    with pytest.raises(KwantLLGError, match="changed shape"):
        rf.commit(records=[_record(3.0, n=4)])
    with pytest.raises(KwantLLGError, match="Records have names"):
        rf.commit(records=[{"time": 3.0, "E": 1.0, "w": np.zeros(3)}])
    assert rf.read().times.size == 3                     # failed commits changed nothing
    assert not path.with_name("run.h5.tmp").exists()


def test_read_run_refuses_other_files(tmp_path):
    import h5py
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(KwantLLGError, match="not a kwant_llg run file"):
        klio.read_run(tmp_path / "other.h5")
    with pytest.raises(KwantLLGError, match="does not exist"):
        klio.RunFile(tmp_path / "none.h5").commit(status="x")


@pytest.fixture(scope="module")
def device_texture():
    L, W = 9, 7
    fsyst = devices.skyrmion_device(L, W).finalized()
    m = textures.skyrmion(fsyst, ((L - 1) / 2, (W - 1) / 2), 2.0, polarity=-1)
    pos = np.array([s.pos for s in fsyst.sites])
    return L, W, pos, m


@pytest.mark.parametrize("mode", ["text", "binary8"])
def test_ovf_round_trip(tmp_path, device_texture, mode):
    L, W, pos, m = device_texture
    path = klio.write_ovf(tmp_path / f"m_{mode}.ovf", m, positions=pos, mode=mode,
                          description="t = 1.5\nV = 0.8")
    text = path.read_bytes()
    assert text.startswith(b"# OOMMF OVF 2.0\n") and b"# Desc: V = 0.8" in text
    data, header = klio.read_ovf(path)
    assert data.shape == (1, W, L, 3) and header["valuedim"] == "3"
    ix = np.rint(pos[:, 0]).astype(int)
    iy = np.rint(pos[:, 1]).astype(int)
    np.testing.assert_array_equal(data[0, iy, ix], m)       # exact: %.17g / raw doubles


def test_ovf_read_by_spirit(tmp_path, device_texture):
    state_mod = pytest.importorskip("spirit.state")
    from spirit import io as spirit_io, system
    L, W, pos, m = device_texture
    for mode in ("text", "binary8"):
        path = klio.write_ovf(tmp_path / f"s_{mode}.ovf", m, positions=pos, mode=mode)
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "input.cfg")
            with open(cfg, "w") as f:
                f.write(f"log_to_console 0\nlog_to_file 0\nbravais_lattice sc\n"
                        f"n_basis_cells {L} {W} 1\n")
            with state_mod.State(cfg, quiet=True) as p_state:
                spirit_io.image_read(p_state, str(path))
                spins = np.array(system.get_spin_directions(p_state)).reshape(W, L, 3)
        ix = np.rint(pos[:, 0]).astype(int)
        iy = np.rint(pos[:, 1]).astype(int)
        # Spirit stores single or double precision and renormalises: 1e-6 covers float32
        np.testing.assert_allclose(spins[iy, ix], m, rtol=0, atol=1e-6)
        assert np.abs(spins[iy, ix] - np.roll(m, 1, axis=0)).max() > 0.5   # not trivial


def test_ovf_errors(tmp_path):
    m = np.tile([0, 0, 1.0], (3, 1))
    with pytest.raises(KwantLLGError, match="grid"):
        klio.write_ovf(tmp_path / "a.ovf", m, positions=[[0, 0], [1, 0], [1.5, 0]])
    with pytest.raises(KwantLLGError, match="same grid cell"):
        klio.write_ovf(tmp_path / "a.ovf", m, positions=[[0, 0], [1, 0], [1, 0]])
    with pytest.raises(KwantLLGError, match="shape"):
        klio.write_ovf(tmp_path / "a.ovf", m[:2], positions=[[0, 0], [1, 0], [2, 0]])
    with pytest.raises(KwantLLGError, match="mode"):
        klio.write_ovf(tmp_path / "a.ovf", m, positions=[[0, 0], [1, 0], [2, 0]],
                       mode="binary4")
    with pytest.raises(ValueError, match="file type"):
        klio.write_ovf(tmp_path / "a.txt", m, positions=[[0, 0], [1, 0], [2, 0]])


def test_export_run_snapshots_to_ovf(tmp_path):
    from kwant_llg import simulation
    lat = kl.SpinLattice.square(5, 4)
    m0 = textures.skyrmion(lat.positions[:, :2], (2, 1.5), 1.2, polarity=-1)
    dyn = kl.LLG(lat, kl.Exchange(1) + kl.DMI(0.2), m0, alpha=0.4, dt=0.05)
    res = simulation.run(dyn, 1.0, path=tmp_path / "r.h5", record_every=0.25,
                         snapshot_every=2)
    paths = klio.export_ovf(res.path, tmp_path / "ovf")
    assert [p.name for p in paths] == ["m_000000.ovf", "m_000001.ovf", "m_000002.ovf"]
    data = res.data
    ix, iy = lat.positions[:, 0].astype(int), lat.positions[:, 1].astype(int)
    for path, t, m in zip(paths, data.snapshot_times, data.snapshots):
        grid, header = klio.read_ovf(path)
        np.testing.assert_array_equal(grid[0, iy, ix], m)
        assert repr(float(t)) in header["desc"]
    np.testing.assert_array_equal(data.snapshots[-1], res.dynamics.m)
