"""KNearestNeighbor: a k-nearest-neighbour classifier with the L2 distance.

Data are rows: X of shape (N, D), one example a row (images are flattened
with X.reshape(N, -1) first). Distances between num_test test rows and
num_train training rows are arrays of shape (num_test, num_train).

No function here changes its inputs in place (X, W, y, the training data,
the params): compute new arrays instead; the hidden tests check it.
"""
import numpy as np


class KNearestNeighbor(object):
    """ a kNN classifier with L2 distance """

    def __init__(self):
        pass

    def train(self, X, y):
        """
        Train the classifier. For k-nearest neighbors this is just
        memorizing the training data.

        Inputs:
        - X: A numpy array of shape (num_train, D) containing the training data
          consisting of num_train samples each of dimension D.
        - y: A numpy array of shape (num_train,) containing the training labels,
          where y[i] is the label for X[i]; labels are integers 0 <= y[i] < C.
        """
        self.X_train = X
        self.y_train = y

    def predict(self, X, k=1, num_loops=0):
        """
        Predict labels for test data using this classifier.

        Inputs:
        - X: A numpy array of shape (num_test, D) containing test data consisting
             of num_test samples each of dimension D.
        - k: The number of nearest neighbors that vote for the predicted labels.
        - num_loops: Determines which implementation to use to compute distances
          between training points and testing points (0, 1 or 2).

        Returns:
        - y: A numpy array of shape (num_test,) containing predicted labels for the
          test data, where y[i] is the predicted label for the test point X[i].
        """
        if num_loops == 0:
            dists = self.compute_distances_no_loops(X)
        elif num_loops == 1:
            dists = self.compute_distances_one_loop(X)
        elif num_loops == 2:
            dists = self.compute_distances_two_loops(X)
        else:
            raise ValueError("Invalid value %d for num_loops" % num_loops)

        return self.predict_labels(dists, k=k)

    def compute_distances_two_loops(self, X):
        """
        Compute the distance between each test point in X and each training point
        in self.X_train using a nested loop over both the training data and the
        test data.

        Inputs:
        - X: A numpy array of shape (num_test, D) containing test data.

        Returns:
        - dists: A numpy array of shape (num_test, num_train) where dists[i, j]
          is the Euclidean (L2) distance between the ith test point and the jth
          training point.
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            for j in range(num_train):
                # TODO: Compute the l2 distance between the ith test point and
                # the jth training point, and store the result in dists[i, j].
                # You should not use a loop over dimension, nor use np.linalg.norm().
                ### BEGIN SOLUTION
                dists[i, j] = np.sqrt(np.sum((X[i] - self.X_train[j]) ** 2))
                ### END SOLUTION
        return dists

    def compute_distances_one_loop(self, X):
        """
        Compute the distance between each test point in X and each training point
        in self.X_train using a single loop over the test data.

        Input / Output: Same as compute_distances_two_loops
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            # TODO: Compute the l2 distance between the ith test point and all
            # training points, and store the result in dists[i, :]. Do not use
            # np.linalg.norm(), and no loop other than this one over the test
            # points.
            ### BEGIN SOLUTION
            dists[i, :] = np.sqrt(np.sum((self.X_train - X[i]) ** 2, axis=1))
            ### END SOLUTION
        return dists

    def compute_distances_no_loops(self, X):
        """
        Compute the distance between each test point in X and each training point
        in self.X_train using no explicit loops. Vectorized, it runs at least 10
        times faster than compute_distances_two_loops on large inputs (the hidden
        tests time it on a few hundred test rows).

        Input / Output: Same as compute_distances_two_loops
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        # TODO: Compute the l2 distance between all test points and all training
        # points without using any explicit loops (no Python for or while loop,
        # no comprehension), and store the result in dists.
        #
        # You should implement this function using only basic array operations;
        # in particular you should not use functions from scipy, nor use
        # np.linalg.norm().
        #
        # HINT: Try to formulate the l2 distance using matrix multiplication
        # and two broadcast sums: ||x - t||^2 = ||x||^2 + ||t||^2 - 2 x.t
        ### BEGIN SOLUTION
        test_sq = np.sum(X ** 2, axis=1)[:, np.newaxis]
        train_sq = np.sum(self.X_train ** 2, axis=1)[np.newaxis, :]
        squared = test_sq + train_sq - 2 * X.dot(self.X_train.T)
        # rounding can leave tiny negative values where the distance is 0
        dists = np.sqrt(np.maximum(squared, 0))
        ### END SOLUTION
        return dists

    def predict_labels(self, dists, k=1):
        """
        Given a matrix of distances between test points and training points,
        predict a label for each test point.

        The label of a test point is the majority vote of the labels of its k
        nearest training points. Ties are broken by choosing the smaller label.

        Inputs:
        - dists: A numpy array of shape (num_test, num_train) where dists[i, j]
          gives the distance betwen the ith test point and the jth training point.
        - k: The number of nearest neighbors that vote (1 <= k <= num_train).

        Returns:
        - y: A numpy array of shape (num_test,) containing predicted labels for the
          test data, where y[i] is the predicted label for the test point X[i].
        """
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test, dtype=np.asarray(self.y_train).dtype)
        for i in range(num_test):
            # A list of length k storing the labels of the k nearest neighbors to
            # the ith test point.
            closest_y = []
            # TODO: Use the distance matrix to find the k nearest neighbors of
            # the ith testing point, and use self.y_train to find the labels of
            # these neighbors. Store these labels in closest_y.
            # Hint: Look up the function numpy.argsort.
            #
            # TODO: Now that you have found the labels of the k nearest
            # neighbors, you need to find the most common label in the list
            # closest_y of labels. Store this label in y_pred[i]. Break ties by
            # choosing the smaller label.
            ### BEGIN SOLUTION
            nearest = np.argsort(dists[i], kind="stable")[:k]
            closest_y = np.asarray(self.y_train)[nearest]
            # np.unique sorts the labels, and argmax returns the first of the
            # largest counts: the smaller label wins a tie
            labels, counts = np.unique(closest_y, return_counts=True)
            y_pred[i] = labels[np.argmax(counts)]
            ### END SOLUTION

        return y_pred
