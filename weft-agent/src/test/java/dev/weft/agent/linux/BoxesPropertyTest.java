package dev.weft.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.agent.linux.Boxes.Box;
import dev.weft.agent.linux.Boxes.Decided;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** First-match flattening: disjoint boxes that decide every point as the ordered list does. */
class BoxesPropertyTest {
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void disjointBoxesDecideAsTheOrderedList(long seed) {
    Random random = new Random(seed);
    for (int trial = 0; trial < 200; trial++) {
      int dims = 1 + random.nextInt(3);
      List<Decided<Integer>> ordered = new ArrayList<>();
      for (int i = 0, n = random.nextInt(8); i < n; i++) {
        long[] bounds = new long[2 * dims];
        for (int d = 0; d < dims; d++) {
          long a = random.nextInt(20);
          bounds[2 * d] = a;
          bounds[2 * d + 1] = a + random.nextInt(8) - 1; // sometimes empty
        }
        ordered.add(new Decided<>(Box.of(bounds), i));
      }
      List<Decided<Integer>> flat = Boxes.firstMatch(ordered);
      for (int i = 0; i < flat.size(); i++) {
        for (int j = i + 1; j < flat.size(); j++) {
          assertThat(flat.get(i).box().overlaps(flat.get(j).box()))
              .as("seed %d trial %d", seed, trial)
              .isFalse();
        }
      }
      for (int k = 0; k < 200; k++) {
        BigInteger[] point = new BigInteger[dims];
        for (int d = 0; d < dims; d++) {
          point[d] = BigInteger.valueOf(random.nextInt(30));
        }
        assertThat(decide(flat, point))
            .as("seed %d trial %d", seed, trial)
            .isEqualTo(decide(ordered, point));
      }
    }
  }

  private static Integer decide(List<Decided<Integer>> boxes, BigInteger[] point) {
    for (Decided<Integer> d : boxes) {
      if (!d.box().empty() && d.box().contains(point)) {
        return d.action();
      }
    }
    return null;
  }
}
