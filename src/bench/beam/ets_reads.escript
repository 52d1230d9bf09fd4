#!/usr/bin/env escript
%% The BEAM peer of CacheBench's near-cache reads: Readers processes read a public ETS table
%% (read_concurrency) of Keys entries keyed by <<"user:N">>, for Ms milliseconds after as long a warm-up,
%% and the script prints "ets_reads_per_sec <N>". Run by CacheBench when `escript` is on the PATH.
-mode(compile).

main([ReadersS, KeysS, MsS]) ->
    Readers = list_to_integer(ReadersS),
    Keys = list_to_integer(KeysS),
    Ms = list_to_integer(MsS),
    Table = ets:new(bench, [set, public, {read_concurrency, true}]),
    KeyTuple = list_to_tuple([list_to_binary("user:" ++ integer_to_list(I)) || I <- lists:seq(0, Keys - 1)]),
    [ets:insert(Table, {element(I + 1, KeyTuple), {value, I}}) || I <- lists:seq(0, Keys - 1)],
    _ = run(Table, KeyTuple, Readers, Ms),
    Reads = run(Table, KeyTuple, Readers, Ms),
    io:format("ets_reads_per_sec ~p~n", [round(Reads * 1000 / Ms)]).

run(Table, KeyTuple, Readers, Ms) ->
    Self = self(),
    Pids = [spawn(fun() -> read_loop(Table, KeyTuple, tuple_size(KeyTuple), 0, 0, Self) end)
            || _ <- lists:seq(1, Readers)],
    timer:sleep(Ms),
    [P ! stop || P <- Pids],
    lists:sum([receive {count, C} -> C end || _ <- Pids]).

read_loop(Table, KeyTuple, N, I, Count, Parent) ->
    receive
        stop -> Parent ! {count, Count}
    after 0 ->
        read_block(Table, KeyTuple, N, I, 1000),
        read_loop(Table, KeyTuple, N, (I + 1000) rem N, Count + 1000, Parent)
    end.

read_block(_Table, _KeyTuple, _N, _I, 0) -> ok;
read_block(Table, KeyTuple, N, I, Left) ->
    [{_, _}] = ets:lookup(Table, element((I rem N) + 1, KeyTuple)),
    read_block(Table, KeyTuple, N, I + 1, Left - 1).
