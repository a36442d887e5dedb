// A cursor-paged API list (`{items, next_cursor}`) as TanStack's infinite query: the rows of every page
// loaded and "load more". One hook for every list page of the console.

import { useInfiniteQuery, type QueryKey } from '@tanstack/react-query';

export interface CursorPage<T> {
  items: T[];
  next_cursor?: string | null;
}

export function useCursorList<T>(
  queryKey: QueryKey,
  fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>,
  options: { enabled?: boolean; refetchInterval?: number | false } = {},
) {
  const query = useInfiniteQuery({
    queryKey,
    enabled: options.enabled,
    refetchInterval: options.refetchInterval,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  return {
    query,
    rows: query.data?.pages.flatMap((page) => page.items) ?? [],
    loading: query.isLoading,
    error: query.error,
    hasMore: !!query.hasNextPage,
    loadMore: () => void query.fetchNextPage(),
    loadingMore: query.isFetchingNextPage,
    refetch: query.refetch,
  };
}
