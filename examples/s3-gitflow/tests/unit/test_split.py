def test_split_is_reproducible():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    df = load_iris(as_frame=True).frame
    a, _ = train_test_split(df, test_size=0.3, random_state=42)
    b, _ = train_test_split(df, test_size=0.3, random_state=42)
    assert list(a.index) == list(b.index)
