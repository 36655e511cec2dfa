import numpy as np
import pytest

import kwant_llg as kl


def grid(n=21):
    x, y = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.stack([x.ravel(), y.ravel()], axis=1).astype(float)


@pytest.mark.parametrize("polarity", [-1, 1])
@pytest.mark.parametrize("helicity", [np.pi / 2, 0.0])
def test_skyrmion_profile(polarity, helicity):
    pos = grid()
    c = np.array([10.0, 10.0])
    m = kl.textures.skyrmion(pos, c, radius=5, helicity=helicity, polarity=polarity)
    assert np.allclose(np.linalg.norm(m, axis=1), 1, atol=1e-14)
    centre = np.flatnonzero(np.all(pos == c, axis=1))[0]
    assert m[centre, 2] == pytest.approx(polarity, abs=1e-14)
    # m_z = 0 on the circle r = R, -polarity far away
    on_circle = np.flatnonzero(np.all(pos == c + [5, 0], axis=1))[0]
    assert abs(m[on_circle, 2]) < 1e-14
    corner = 0
    assert m[corner, 2] == pytest.approx(-polarity, abs=1e-2)
    # in-plane direction at (R, 0): tangential (+y) for Bloch, radial (+x) for Néel
    inplane = m[on_circle, :2]
    expected = [np.cos(helicity), np.sin(helicity)]
    assert np.allclose(inplane, expected, atol=1e-12)


def test_skyrmion_on_kwant_system_and_bad_input():
    fsyst = kl.devices.skyrmion_device(8, 6).finalized()
    m = kl.textures.skyrmion(fsyst, (3.5, 2.5), 2)
    assert m.shape == (48, 3)
    with pytest.raises(ValueError, match="polarity"):
        kl.textures.skyrmion(fsyst, (3.5, 2.5), 2, polarity=0)
    with pytest.raises(ValueError, match="radius"):
        kl.textures.skyrmion(fsyst, (3.5, 2.5), -1)
    u = kl.textures.uniform(fsyst, (0, 0, 2))
    assert np.allclose(u, [0, 0, 1])
    with pytest.raises(ValueError, match="nonzero"):
        kl.textures.uniform(fsyst, (0, 0, 0))
