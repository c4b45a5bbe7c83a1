def test_iris_has_four_features():
    from sklearn.datasets import load_iris

    assert load_iris().data.shape[1] == 4
